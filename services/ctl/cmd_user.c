/* cmd_user.c — `tsunaguctl user ...`: the staff accounts of the coordinator's web dashboard.
 * `user list` reads the store (read only); every change is asked of the coordinator
 * (ctl_coordinator_change: its control socket while it runs, else its --apply mode), which
 * checks it, hashes the password and audits it with who asked.  A password is read from the
 * terminal twice without echo, or as one line of standard input with --password-stdin; it is
 * wiped from memory once the coordinator answered. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "coordinator/model/users.h"

/* Bytes read for a password: the longest allowed, its newline, and one more to tell a longer
 * one. */
#define S_PASSWORD_BUF (TSG_HUB_USER_PASSWORD_MAX + 3)

int cmd_user (const ctl_options_t *options, int argc, char **argv);

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl user add --name NAME --role ROLE [--password-stdin]\n"
             "       tsunaguctl user list [--json]\n"
             "       tsunaguctl user passwd --name NAME [--password-stdin]\n"
             "       tsunaguctl user role --name NAME --role ROLE\n"
             "       tsunaguctl user disable|enable|remove --name NAME\n"
             "\n"
             "Staff accounts of the coordinator's web dashboard.  ROLE is viewer (sees every\n"
             "page), coordinator (also records case events and acknowledges alerts) or admin\n"
             "(also manages).  NAME is 1-32 of a-z, 0-9, '.', '_' and '-'.  The password (10-128\n"
             "bytes, not the name) is asked twice on the terminal, or read as one line from\n"
             "standard input with --password-stdin.  Disabling, removing or a new password\n"
             "ends the user's open sessions.\n");
}

/* ---- the password ------------------------------------------------------------------------ */

static volatile sig_atomic_t s_tty_fd = -1; /* the terminal whose echo is off, or -1 */
static struct termios s_tty_saved;          /* its settings before */

/* Gives the terminal its echo back and dies of the signal as it would have. */
static void
s_tty_signal (int sig)
{
    if (s_tty_fd >= 0)
        tcsetattr (s_tty_fd, TCSAFLUSH, &s_tty_saved);
    signal (sig, SIG_DFL);
    raise (sig);
}

/* Reads one line from fd into out (S_PASSWORD_BUF bytes) without its end of line; false when
 * nothing could be read or the line is too long. */
static bool
s_read_line (int fd, char out[S_PASSWORD_BUF], bool *too_long)
{
    size_t len = 0;
    bool any = false;
    *too_long = false;
    for (;;) {
        char c;
        ssize_t n = read (fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n')
            break;
        any = true;
        if (len + 1 >= S_PASSWORD_BUF) {
            *too_long = true;
            continue; /* read the rest of the line, keep none of it */
        }
        out[len++] = c;
    }
    if (len > 0 && out[len - 1] == '\r')
        len--;
    out[len] = '\0';
    return any && !*too_long;
}

/* Asks prompt on the terminal tty and reads the answer with echo off. */
static bool
s_ask (int tty, const char *prompt, char out[S_PASSWORD_BUF], bool *too_long)
{
    struct termios quiet;
    if (tcgetattr (tty, &s_tty_saved) != 0)
        return false;
    quiet = s_tty_saved;
    quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL;
    struct sigaction act = { 0 }, old[3];
    act.sa_handler = s_tty_signal;
    sigemptyset (&act.sa_mask);
    const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
    for (int i = 0; i < 3; i++)
        sigaction (sigs[i], &act, &old[i]);
    s_tty_fd = tty;
    bool ok = tcsetattr (tty, TCSAFLUSH, &quiet) == 0;
    if (ok) {
        ssize_t w = write (tty, prompt, strlen (prompt));
        ok = w >= 0 && s_read_line (tty, out, too_long);
    }
    tcsetattr (tty, TCSAFLUSH, &s_tty_saved);
    s_tty_fd = -1;
    for (int i = 0; i < 3; i++)
        sigaction (sigs[i], &old[i], NULL);
    return ok;
}

/* The new password of name into out: one line of standard input, or asked twice on the
 * terminal.  False after saying why (out then holds nothing); a password the coordinator would
 * refuse as weak is refused here already. */
static bool
s_password (const char *name, bool from_stdin, char out[S_PASSWORD_BUF])
{
    bool too_long = false, got = false;
    int tty = -1;
    if (from_stdin)
        got = s_read_line (STDIN_FILENO, out, &too_long);
    else if ((tty = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        ctl_error ("no terminal to ask the password on: give it on standard input with "
                   "--password-stdin; nothing changed");
        return false;
    }
    else {
        char prompt[96];
        snprintf (prompt, sizeof prompt, "new password for %s: ", name);
        got = s_ask (tty, prompt, out, &too_long);
    }
    const char *why = too_long ? "a password is at most 128 bytes"
                      : !got   ? "no password was given"
                               : NULL;
    if (!why)
        tsg_hub_user_password_ok (name, out, &why);
    if (!why && tty >= 0) {
        char again[S_PASSWORD_BUF] = "";
        bool again_long = false;
        if (!s_ask (tty, "again: ", again, &again_long) || strcmp (out, again) != 0)
            why = "the two passwords differ";
        sodium_memzero (again, sizeof again);
    }
    if (tty >= 0)
        close (tty);
    if (why) {
        ctl_error ("%s; nothing changed", why);
        sodium_memzero (out, S_PASSWORD_BUF);
        return false;
    }
    return true;
}

/* ---- the arguments ----------------------------------------------------------------------- */

/* What a `user` subcommand was given. */
typedef struct {
    const char *verb;    /* add, list, passwd, role, disable, enable, remove */
    const char *name;    /* --name */
    const char *role;    /* --role */
    bool password_stdin; /* --password-stdin */
    bool json;           /* --json (list) */
} s_args_t;

/* What each subcommand takes: 'n' --name, 'r' --role, 'p' a password, 'j' --json. */
static const struct {
    const char *verb;  /* the subcommand */
    const char *takes; /* the letters above */
} s_verbs[] = {
    { "add", "nrp" },   { "list", "j" },   { "passwd", "np" }, { "role", "nr" },
    { "disable", "n" }, { "enable", "n" }, { "remove", "n" },
};

/* Parses `user VERB [options]` (argv[0] is the verb); -1 to go on, else an exit code. */
static int
s_parse (int argc, char **argv, s_args_t *args)
{
    static const struct option long_options[] = {
        { "name", required_argument, NULL, 'n' },     { "role", required_argument, NULL, 'r' },
        { "password-stdin", no_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
    };
    const char *takes = NULL;
    for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
        if (strcmp (argv[0], s_verbs[i].verb) == 0)
            takes = s_verbs[i].takes;
    if (!takes) {
        ctl_error ("unknown user subcommand \"%s\"", argv[0]);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    args->verb = argv[0];
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, "+:h", long_options, NULL)) != -1) {
        if (opt == 'h') {
            s_usage (stdout);
            return CTL_EXIT_OK;
        }
        if (opt == '?' || opt == ':' || !strchr (takes, opt)) {
            ctl_error ("user %s: unknown option or missing value: %s", args->verb,
                       argv[optind - 1]);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
        if (opt == 'n')
            args->name = optarg;
        else if (opt == 'r')
            args->role = optarg;
        else if (opt == 'p')
            args->password_stdin = true;
        else
            args->json = true;
    }
    if (optind < argc) {
        ctl_error ("user %s: unexpected argument \"%s\"", args->verb, argv[optind]);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if ((strchr (takes, 'n') && !args->name) || (strchr (takes, 'r') && !args->role)) {
        ctl_error ("user %s needs --name%s", args->verb, strchr (takes, 'r') ? " and --role" : "");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    tsg_hub_staff_role_t role;
    if (args->name && !tsg_hub_user_name_ok (args->name)) {
        ctl_error ("invalid user name \"%s\": 1-32 of a-z, 0-9, '.', '_' and '-', starting with a "
                   "letter or a digit",
                   args->name);
        return CTL_EXIT_FAIL;
    }
    if (args->role && !tsg_hub_staff_role_parse (args->role, &role)) {
        ctl_error ("unknown role \"%s\": one of viewer, coordinator, admin", args->role);
        return CTL_EXIT_FAIL;
    }
    return -1;
}

/* ---- the subcommands --------------------------------------------------------------------- */

/* `user list [--json]`: the accounts, read from the store; never their hashes. */
static int
s_list (const ctl_options_t *options, const s_args_t *args)
{
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (options, &store);
    if (!site)
        return CTL_EXIT_FAIL;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    tsg_hub_user_t *users = NULL;
    size_t count = 0;
    int rc = tsg_hub_user_list (&txn, &users, &count);
    tsg_txn_abort (&txn);
    ctl_site_destroy (&site);
    if (rc != TSG_OK) {
        ctl_error ("cannot read the staff accounts: %s", tsg_strerror (rc));
        return CTL_EXIT_FAIL;
    }
    bool ok = true;
    if (args->json) {
        json_t *array = json_array ();
        for (size_t i = 0; array && i < count; i++)
            if (json_array_append_new (array, tsg_hub_user_json (&users[i])) != 0) {
                json_decref (array);
                array = NULL;
            }
        ok = ctl_print_json (array);
    }
    else if (count == 0)
        printf ("no staff accounts yet: tsunaguctl user add --name NAME --role ROLE\n");
    else {
        static const char *const header[] = { "NAME",       "ROLE",         "STATUS",
                                              "ADDED(JST)", "CHANGED(JST)", "BY" };
        ctl_table_t *table = ctl_table_new (6, header);
        for (size_t i = 0; table && i < count; i++) {
            json_t *user = tsg_hub_user_json (&users[i]);
            char created[32], changed[32];
            ctl_time_jst (ctl_text_get (user, "created_at", NULL), created);
            ctl_time_jst (ctl_text_get (user, "changed_at", NULL), changed);
            const char *cells[] = { users[i].name,
                                    tsg_hub_staff_role_name (users[i].role),
                                    users[i].disabled ? "disabled" : "active",
                                    created,
                                    changed,
                                    users[i].changed_by };
            ok = user && ctl_table_add (table, cells) && ok;
            json_decref (user);
        }
        if (table)
            ctl_table_print (table, stdout, 0);
        ok = table && ok;
        ctl_table_destroy (&table);
    }
    free (users);
    if (!ok) {
        ctl_error ("cannot write the list: %s", strerror (errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

/* What a change said it did, in a line. */
static void
s_print_done (const s_args_t *args, const json_t *reply)
{
    const json_t *user = json_object_get (reply, "user");
    const char *role = ctl_text_get (user, "role", "?");
    bool changed = json_is_true (json_object_get (reply, "changed"));
    if (strcmp (args->verb, "add") == 0)
        printf ("added user %s (%s): they can log in to the dashboard now\n", args->name, role);
    else if (strcmp (args->verb, "passwd") == 0)
        printf ("%s has a new password; their open sessions end\n", args->name);
    else if (!changed && strcmp (args->verb, "role") == 0)
        printf ("%s is already %s; nothing changed\n", args->name, role);
    else if (strcmp (args->verb, "role") == 0)
        printf ("%s is now %s\n", args->name, role);
    else if (!changed)
        printf ("%s is already %sd; nothing changed\n", args->name, args->verb);
    else if (strcmp (args->verb, "disable") == 0)
        printf ("%s is disabled: they cannot log in and their open sessions end\n", args->name);
    else if (strcmp (args->verb, "enable") == 0)
        printf ("%s is enabled again (%s)\n", args->name, role);
    else
        printf ("removed user %s (%s); their open sessions end\n", args->name, role);
}

/* A change: the request to the coordinator, with the password when the verb takes one. */
static int
s_change (const ctl_options_t *options, const s_args_t *args, bool takes_password)
{
    char password[S_PASSWORD_BUF] = "";
    if (takes_password && !s_password (args->name, args->password_stdin, password))
        return CTL_EXIT_FAIL;
    char command[32];
    snprintf (command, sizeof command, "user-%s", args->verb);
    json_t *request = json_pack ("{s:s, s:s}", "command", command, "name", args->name);
    if (request && args->role)
        json_object_set_new (request, "role", json_string (args->role));
    if (request && takes_password)
        json_object_set_new (request, "password", json_string (password));
    sodium_memzero (password, sizeof password);
    int exit_code = CTL_EXIT_FAIL;
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (site) {
        char what[64];
        snprintf (what, sizeof what, "%s user %s", args->verb, args->name);
        json_incref (request); /* kept to wipe the password after the answer */
        json_t *reply = ctl_coordinator_change (site, request, what);
        if (reply) {
            s_print_done (args, reply);
            exit_code = CTL_EXIT_OK;
        }
        json_decref (reply);
        ctl_site_destroy (&site);
    }
    json_t *sent = json_object_get (request, "password");
    if (json_is_string (sent))
        sodium_memzero ((char *) json_string_value (sent), json_string_length (sent));
    json_decref (request);
    return exit_code;
}

int
cmd_user (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2) {
        ctl_error ("user needs a subcommand");
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp (argv[1], "help") == 0 || strcmp (argv[1], "--help") == 0
        || strcmp (argv[1], "-h") == 0) {
        s_usage (stdout);
        return CTL_EXIT_OK;
    }
    s_args_t args = { 0 };
    int exit_code = s_parse (argc - 1, argv + 1, &args);
    if (exit_code >= 0)
        return exit_code;
    if (strcmp (args.verb, "list") == 0)
        return s_list (options, &args);
    bool takes_password = strcmp (args.verb, "add") == 0 || strcmp (args.verb, "passwd") == 0;
    return s_change (options, &args, takes_password);
}
