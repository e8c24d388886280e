/* cmd_init.c — `tsunaguctl init`: creates a coordinator data directory, its keys, the
 * bearer token of its HTTP read side, coordinator.conf and the store. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "coordinator/model/store.h"
#include "tsunagu/tsg_lock.h"

#define INIT_LISTEN_DEFAULT "tcp://127.0.0.1:7700"
#define INIT_HTTP_DEFAULT   "127.0.0.1:7780"
#define INIT_MAP_SIZE_MB    1024

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: tsunaguctl [-d DATA_DIR] init [--listen ENDPOINT] [--http HOST:PORT]\n"
                  "                  [--public-endpoint ENDPOINT]\n"
                  "  --listen           the coordinator's ZeroMQ bind address"
                  " (default " INIT_LISTEN_DEFAULT ")\n"
                  "  --http             its dashboard, /v1 read API and /healthz"
                  " (default " INIT_HTTP_DEFAULT ")\n"
                  "                     the API's bearer token goes to DATA_DIR/http.token (0600)\n"
                  "  --public-endpoint  what agency bundles connect to (default: --listen)\n");
}

/* True when the endpoint binds every interface, so it says nothing about where to connect. */
static bool
s_is_wildcard (const char *endpoint)
{
    return strncmp (endpoint, "tcp://*:", 8) == 0 || strncmp (endpoint, "tcp://0.0.0.0:", 14) == 0
           || strncmp (endpoint, "tcp://[::]:", 11) == 0;
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

/* The coordinator.conf text with the HTTP token's hash; caller frees, NULL on allocation
 * failure. */
static char *
s_config_text (const char *listen, const char *public_endpoint, const char *http,
               const char *token_hash)
{
    char *text = NULL;
    int rc = asprintf (&text,
                       "# tsunagu coordinator configuration (docs/configuration.md).\n"
                       "# Written by tsunaguctl init; relative paths are relative to this file.\n"
                       "\n"
                       "[coordinator]\n"
                       "data_dir = .\n"
                       "keys = keys/coordinator.key\n"
                       "listen = %s\n"
                       "public_endpoint = %s\n"
                       "map_size_mb = %d\n"
                       "\n"
                       "[http]\n"
                       "listen = %s\n"
                       "token_sha256 = %s\n",
                       listen, public_endpoint, INIT_MAP_SIZE_MB, http, token_hash);
    return rc < 0 ? NULL : text;
}

/* What `init` was asked for. */
typedef struct {
    const char *listen;          /* --listen */
    const char *http;            /* --http */
    const char *public_endpoint; /* --public-endpoint, or --listen */
} s_init_args_t;

/* The files init writes, under the data directory. */
typedef struct {
    char conf[PATH_MAX];   /* coordinator.conf: written last, it marks a finished init */
    char token[PATH_MAX];  /* http.token */
    char keys[PATH_MAX];   /* keys/ */
    char secret[PATH_MAX]; /* keys/coordinator.key */
    char public[PATH_MAX]; /* keys/coordinator.pub */
} s_init_paths_t;

/* Parses and checks the options; -1 to go on, else an exit code. */
static int
s_init_parse (const ctl_options_t *options, int argc, char **argv, s_init_args_t *args)
{
    static const struct option long_options[] = {
        { "listen", required_argument, NULL, 'l' },
        { "http", required_argument, NULL, 'H' },
        { "public-endpoint", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *args = (s_init_args_t){ INIT_LISTEN_DEFAULT, INIT_HTTP_DEFAULT, NULL };
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'l': args->listen = optarg; break;
        case 'H': args->http = optarg; break;
        case 'p': args->public_endpoint = optarg; break;
        case 'h': s_usage (stdout); return CTL_EXIT_OK;
        default:
            ctl_error ("init: unknown option or missing value: %s", argv[optind - 1]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ctl_error ("init: unexpected argument \"%s\"", argv[optind]);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (options->config) {
        ctl_error ("init writes DATA_DIR/coordinator.conf: choose the folder with -d, not -c");
        return CTL_EXIT_USAGE;
    }
    if (!ctl_zmq_endpoint_valid (args->listen)) {
        ctl_error ("--listen must be tcp://HOST:PORT or ipc://PATH, not \"%s\"", args->listen);
        return CTL_EXIT_FAIL;
    }
    if (!args->public_endpoint) {
        if (s_is_wildcard (args->listen)) {
            ctl_error ("--listen %s binds every interface: say with --public-endpoint where "
                       "agencies connect",
                       args->listen);
            return CTL_EXIT_FAIL;
        }
        args->public_endpoint = args->listen;
    }
    if (!ctl_zmq_endpoint_valid (args->public_endpoint) || s_is_wildcard (args->public_endpoint)) {
        ctl_error ("--public-endpoint must be tcp://HOST:PORT or ipc://PATH with a host agencies "
                   "can reach, not \"%s\"",
                   args->public_endpoint);
        return CTL_EXIT_FAIL;
    }
    if (!ctl_http_listen_valid (args->http)) {
        ctl_error ("--http must be HOST:PORT, not \"%s\"", args->http);
        return CTL_EXIT_FAIL;
    }
    if (!ctl_host_is_loopback (args->http))
        fprintf (stderr, "tsunaguctl: warning: the dashboard will listen on %s, not on loopback\n",
                 args->http);
    return -1;
}

/* The paths under dir, and whether init may write them: no coordinator runs on dir and none
 * was made there.  False after saying why. */
static bool
s_init_paths (const char *dir, s_init_paths_t *p)
{
    if (snprintf (p->conf, PATH_MAX, "%s/coordinator.conf", dir) >= PATH_MAX
        || snprintf (p->token, PATH_MAX, "%s/http.token", dir) >= PATH_MAX
        || snprintf (p->keys, PATH_MAX, "%s/keys", dir) >= PATH_MAX
        || snprintf (p->secret, PATH_MAX, "%s/coordinator.key", p->keys) >= PATH_MAX
        || snprintf (p->public, PATH_MAX, "%s/coordinator.pub", p->keys) >= PATH_MAX) {
        ctl_error ("data directory path too long: %s", dir);
        return false;
    }
    if (tsg_lock_held (dir, TSG_COORDINATOR_LOCK_FILE)) {
        ctl_error ("a coordinator is running on %s: init is an offline job; nothing changed", dir);
        return false;
    }
    if (s_exists (p->conf)) {
        ctl_error ("%s already holds a coordinator (%s exists); nothing changed", dir, p->conf);
        return false;
    }
    if (s_exists (p->secret)) {
        ctl_error ("%s exists but %s does not: an earlier init did not finish; remove %s and "
                   "%s/store to start again",
                   p->secret, p->conf, p->keys, dir);
        return false;
    }
    return true;
}

/* Keys, the store, the token, then the configuration; the public keys' Z85 into box and sign.
 * False after saying why. */
static bool
s_init_write (const char *dir, const s_init_paths_t *p, const s_init_args_t *args, char box[41],
              char sign[41])
{
    int rc = TSG_ERR_NOMEM;
    tsg_keys_t *keys = tsg_keys_generate (TSG_COORDINATOR_ID);
    if (!keys) {
        ctl_error ("cannot generate keys: %s", tsg_strerror (rc));
        return false;
    }
    tsg_key_to_z85 (tsg_keys_box_public (keys), box);
    tsg_key_to_z85 (tsg_keys_sign_public (keys), sign);
    rc = tsg_keys_save_secret (keys, p->secret);
    if (rc == TSG_OK)
        rc = tsg_keys_save_public (keys, p->public);
    tsg_keys_destroy (&keys);
    if (rc != TSG_OK) {
        ctl_error ("cannot write the coordinator's keys in %s: %s", p->keys, tsg_strerror (rc));
        return false;
    }
    tsg_store_t *store = NULL;
    rc = tsg_hub_store_open (dir, (size_t) INIT_MAP_SIZE_MB * 1024 * 1024, &store);
    if (rc != TSG_OK) {
        ctl_error ("cannot create the store in %s/store: %s", dir, tsg_strerror (rc));
        return false;
    }
    tsg_store_destroy (&store);
    char token_hash[CTL_TOKEN_HEX];
    rc = ctl_token_file_write (p->token, token_hash, NULL);
    if (rc != TSG_OK) {
        ctl_error ("cannot write %s: %s", p->token, tsg_strerror (rc));
        return false;
    }
    char *text = s_config_text (args->listen, args->public_endpoint, args->http, token_hash);
    rc = text ? tsg_write_file (p->conf, text, strlen (text), 0640) : TSG_ERR_NOMEM;
    free (text);
    if (rc != TSG_OK) {
        ctl_error ("cannot write %s: %s", p->conf, tsg_strerror (rc));
        return false;
    }
    return true;
}

/* `init`: an offline job — it holds the data directory's lock, so no coordinator starts on a
 * half-made directory, and refuses one a coordinator runs on. */
int
cmd_init (const ctl_options_t *options, int argc, char **argv)
{
    s_init_args_t args;
    int exit_code = s_init_parse (options, argc, argv, &args);
    if (exit_code >= 0)
        return exit_code;
    const char *dir = options->data_dir;
    s_init_paths_t paths;
    if (!s_init_paths (dir, &paths))
        return CTL_EXIT_FAIL;
    if (!tsg_mkdir_p (dir, 0700) || !tsg_mkdir_p (paths.keys, 0700)) {
        ctl_error ("cannot create %s: %s", paths.keys, strerror (errno));
        return CTL_EXIT_FAIL;
    }
    struct stat st;
    if (stat (dir, &st) == 0 && (st.st_mode & 077) != 0)
        fprintf (stderr, "tsunaguctl: warning: %s is open to other users; chmod 700 it\n", dir);
    int lock = tsg_lock_take (dir, TSG_COORDINATOR_LOCK_FILE, false);
    if (lock < 0) {
        ctl_error ("a coordinator is running on %s: init is an offline job; nothing changed", dir);
        return CTL_EXIT_FAIL;
    }
    char box[41], sign[41];
    bool made = s_init_write (dir, &paths, &args, box, sign);
    tsg_lock_release (lock);
    if (!made)
        return CTL_EXIT_FAIL;

    char *abs = realpath (dir, NULL);
    const char *shown = abs ? abs : dir;
    printf ("created coordinator data directory %s\n"
            "  %s/coordinator.conf\n"
            "  %s/keys/coordinator.key   (secret, mode 0600)\n"
            "  %s/keys/coordinator.pub\n"
            "  %s/http.token             (bearer token of the HTTP API, mode 0600)\n"
            "  %s/store/\n"
            "listen:          %s\n"
            "public endpoint: %s\n"
            "dashboard:       http://%s/ (staff log in with accounts of tsunaguctl user add)\n"
            "box public key:  %s\n"
            "sign public key: %s\n"
            "next: tsunaguctl -d %s agency add --id ID --type TYPE --name NAME --out BUNDLE_DIR\n"
            "      tsunaguctl -d %s user add --name NAME --role coordinator\n"
            "      tsunagu-coordinator -c %s/coordinator.conf\n",
            shown, shown, shown, shown, shown, shown, args.listen, args.public_endpoint, args.http,
            box, sign, shown, shown, shown);
    free (abs);
    return CTL_EXIT_OK;
}
