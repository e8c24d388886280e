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

int
cmd_init (const ctl_options_t *options, int argc, char **argv)
{
    static const struct option long_options[] = {
        { "listen", required_argument, NULL, 'l' },
        { "http", required_argument, NULL, 'H' },
        { "public-endpoint", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *listen = INIT_LISTEN_DEFAULT;
    const char *http = INIT_HTTP_DEFAULT;
    const char *public_endpoint = NULL;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'l': listen = optarg; break;
        case 'H': http = optarg; break;
        case 'p': public_endpoint = optarg; break;
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
    if (!ctl_zmq_endpoint_valid (listen)) {
        ctl_error ("--listen must be tcp://HOST:PORT or ipc://PATH, not \"%s\"", listen);
        return CTL_EXIT_FAIL;
    }
    if (!public_endpoint) {
        if (s_is_wildcard (listen)) {
            ctl_error ("--listen %s binds every interface: say with --public-endpoint where "
                       "agencies connect",
                       listen);
            return CTL_EXIT_FAIL;
        }
        public_endpoint = listen;
    }
    if (!ctl_zmq_endpoint_valid (public_endpoint) || s_is_wildcard (public_endpoint)) {
        ctl_error ("--public-endpoint must be tcp://HOST:PORT or ipc://PATH with a host agencies "
                   "can reach, not \"%s\"",
                   public_endpoint);
        return CTL_EXIT_FAIL;
    }
    if (!ctl_http_listen_valid (http)) {
        ctl_error ("--http must be HOST:PORT, not \"%s\"", http);
        return CTL_EXIT_FAIL;
    }
    if (!ctl_host_is_loopback (http))
        fprintf (stderr, "tsunaguctl: warning: the dashboard will listen on %s, not on loopback\n",
                 http);

    const char *dir = options->data_dir;
    char conf_path[PATH_MAX], keys_dir[PATH_MAX], secret_path[PATH_MAX], public_path[PATH_MAX];
    char token_path[PATH_MAX];
    if (snprintf (conf_path, sizeof conf_path, "%s/coordinator.conf", dir) >= (int) sizeof conf_path
        || snprintf (token_path, sizeof token_path, "%s/http.token", dir) >= (int) sizeof token_path
        || snprintf (keys_dir, sizeof keys_dir, "%s/keys", dir) >= (int) sizeof keys_dir
        || snprintf (secret_path, sizeof secret_path, "%s/coordinator.key", keys_dir)
               >= (int) sizeof secret_path
        || snprintf (public_path, sizeof public_path, "%s/coordinator.pub", keys_dir)
               >= (int) sizeof public_path) {
        ctl_error ("data directory path too long: %s", dir);
        return CTL_EXIT_FAIL;
    }
    if (s_exists (conf_path)) {
        ctl_error ("%s already holds a coordinator (%s exists); nothing changed", dir, conf_path);
        return CTL_EXIT_FAIL;
    }
    if (s_exists (secret_path)) {
        ctl_error ("%s exists but %s does not: an earlier init did not finish; remove %s and "
                   "%s/store to start again",
                   secret_path, conf_path, keys_dir, dir);
        return CTL_EXIT_FAIL;
    }
    if (!tsg_mkdir_p (dir, 0700) || !tsg_mkdir_p (keys_dir, 0700)) {
        ctl_error ("cannot create %s: %s", keys_dir, strerror (errno));
        return CTL_EXIT_FAIL;
    }
    struct stat st;
    if (stat (dir, &st) == 0 && (st.st_mode & 077) != 0)
        fprintf (stderr, "tsunaguctl: warning: %s is open to other users; chmod 700 it\n", dir);

    /* Keys, the store, the token, then the configuration: coordinator.conf marks a finished
     * init. */
    int rc = TSG_ERR_NOMEM;
    tsg_keys_t *keys = tsg_keys_generate (TSG_COORDINATOR_ID);
    if (!keys) {
        ctl_error ("cannot generate keys: %s", tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }
    char box[41], sign[41];
    tsg_key_to_z85 (tsg_keys_box_public (keys), box);
    tsg_key_to_z85 (tsg_keys_sign_public (keys), sign);
    rc = tsg_keys_save_secret (keys, secret_path);
    if (rc == TSG_OK)
        rc = tsg_keys_save_public (keys, public_path);
    tsg_keys_destroy (&keys);
    if (rc != TSG_OK) {
        ctl_error ("cannot write the coordinator's keys in %s: %s", keys_dir, tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }
    tsg_store_t *store = NULL;
    rc = tsg_hub_store_open (dir, (size_t) INIT_MAP_SIZE_MB * 1024 * 1024, &store);
    if (rc != TSG_OK) {
        ctl_error ("cannot create the store in %s/store: %s", dir, tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }
    tsg_store_destroy (&store);
    char token_hash[CTL_TOKEN_HEX];
    rc = ctl_token_file_write (token_path, token_hash, NULL);
    if (rc != TSG_OK) {
        ctl_error ("cannot write %s: %s", token_path, tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }
    char *text = s_config_text (listen, public_endpoint, http, token_hash);
    rc = text ? tsg_write_file (conf_path, text, strlen (text), 0640) : TSG_ERR_NOMEM;
    free (text);
    if (rc != TSG_OK) {
        ctl_error ("cannot write %s: %s", conf_path, tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }

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
            "dashboard:       http://%s/\n"
            "box public key:  %s\n"
            "sign public key: %s\n"
            "next: tsunaguctl -d %s agency add --id ID --type TYPE --name NAME --out BUNDLE_DIR\n"
            "      tsunagu-coordinator -c %s/coordinator.conf\n",
            shown, shown, shown, shown, shown, shown, listen, public_endpoint, http, box, sign,
            shown, shown);
    free (abs);
    return CTL_EXIT_OK;
}
