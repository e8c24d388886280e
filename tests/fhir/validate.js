#!/usr/bin/env node
// Validates a FHIR R4 resource (a Bundle from GET /v1/referrals/{id}/fhir) read from the file
// named on the command line, or from stdin, with the validator of the `fhir` package (FHIR.js,
// its cached R4 structure definitions and value sets), unexpected properties counted as
// errors.  Prints {"valid": bool, "errors": [...], "warnings": [...]} as JSON on stdout and
// exits 0 when valid, 1 when not, 2 when the input is not JSON.
'use strict';

const fs = require('fs');
const { Fhir, Versions } = require('fhir');
const { ParseConformance } = require('fhir/parseConformance');

function main() {
  const file = process.argv[2];
  const text = fs.readFileSync(file && file !== '-' ? file : 0, 'utf8');
  let resource;
  try {
    resource = JSON.parse(text);
  } catch (e) {
    process.stdout.write(JSON.stringify({ valid: false, errors: ['not JSON: ' + e.message] }) + '\n');
    return 2;
  }
  const fhir = new Fhir(new ParseConformance(true, Versions.R4));
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  const by = (severity) =>
    (result.messages || [])
      .filter((m) => m.severity === severity)
      .map((m) => `${m.location}: ${m.message}`);
  const errors = by('error');
  const out = { valid: result.valid && errors.length === 0, errors, warnings: by('warning') };
  process.stdout.write(JSON.stringify(out) + '\n');
  return out.valid ? 0 : 1;
}

process.exitCode = main();
