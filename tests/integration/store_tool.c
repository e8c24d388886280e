/* store_tool.c — edits an LMDB store by hand so that test_upgrade.py can make one of an older
 * format (no schema key, indexes not built) or of a future schema, as no tsunagu binary
 * writes them.  Never used outside the tests.
 *
 *     store_tool DIR get DB KEY        prints the be64 value, or "absent"
 *     store_tool DIR set DB KEY N      writes KEY → be64 N
 *     store_tool DIR del DB KEY        deletes KEY
 *     store_tool DIR clear DB          empties DB
 *     store_tool DIR cut DB LEN        cuts every value of DB longer than LEN to LEN bytes
 *     store_tool DIR count DB          prints the number of entries
 *
 * DIR holds data.mdb; nothing else may have the store open for writing meanwhile. */
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_fail (const char *what, int rc)
{
    fprintf (stderr, "store_tool: %s: %s\n", what, mdb_strerror (rc));
    return 1;
}

/* Values of db longer than len cut to len bytes (keys first: writes move the cursor). */
static int
s_cut (MDB_txn *txn, MDB_dbi db, size_t len)
{
    MDB_cursor *cursor = NULL;
    int rc = mdb_cursor_open (txn, db, &cursor);
    MDB_val key, val;
    while (rc == 0 && (rc = mdb_cursor_get (cursor, &key, &val, MDB_NEXT)) == 0) {
        if (val.mv_size <= len)
            continue;
        /* Both copied out: a value of another size is written as a new node, and key and val
         * point into the page that changes meanwhile. */
        uint8_t *copy = malloc (key.mv_size + len);
        if (!copy)
            return ENOMEM;
        memcpy (copy, key.mv_data, key.mv_size);
        memcpy (copy + key.mv_size, val.mv_data, len);
        MDB_val k = { .mv_size = key.mv_size, .mv_data = copy };
        MDB_val cut = { .mv_size = len, .mv_data = copy + key.mv_size };
        rc = mdb_cursor_put (cursor, &k, &cut, MDB_CURRENT);
        free (copy);
    }
    if (cursor)
        mdb_cursor_close (cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int
main (int argc, char **argv)
{
    if (argc < 4) {
        fprintf (stderr, "usage: store_tool DIR get|set|del|clear|cut|count DB [KEY [N]]\n");
        return 2;
    }
    const char *dir = argv[1], *op = argv[2], *name = argv[3];
    MDB_env *env = NULL;
    int rc = mdb_env_create (&env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs (env, 32);
    if (rc == 0)
        rc = mdb_env_set_mapsize (env, (size_t) 1 << 30);
    if (rc == 0)
        rc = mdb_env_open (env, dir, MDB_NOTLS, 0600);
    if (rc != 0)
        return s_fail (dir, rc);
    MDB_txn *txn = NULL;
    MDB_dbi db;
    rc = mdb_txn_begin (env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open (txn, name, 0, &db);
    if (rc != 0)
        return s_fail (name, rc);
    MDB_val key = { .mv_size = argc > 4 ? strlen (argv[4]) : 0,
                    .mv_data = argc > 4 ? argv[4] : "" };
    MDB_val val;
    if (strcmp (op, "get") == 0 && argc == 5) {
        rc = mdb_get (txn, db, &key, &val);
        if (rc == MDB_NOTFOUND)
            printf ("absent\n");
        else if (rc == 0 && val.mv_size == 8) {
            uint64_t v = 0;
            for (int i = 0; i < 8; i++)
                v = v << 8 | ((const uint8_t *) val.mv_data)[i];
            printf ("%llu\n", (unsigned long long) v);
        }
        else if (rc == 0)
            printf ("%zu bytes\n", val.mv_size);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    else if (strcmp (op, "set") == 0 && argc == 6) {
        uint64_t v = strtoull (argv[5], NULL, 10);
        uint8_t bytes[8];
        for (int i = 0; i < 8; i++)
            bytes[i] = (uint8_t) (v >> (56 - 8 * i));
        val = (MDB_val){ .mv_size = 8, .mv_data = bytes };
        rc = mdb_put (txn, db, &key, &val, 0);
    }
    else if (strcmp (op, "del") == 0 && argc == 5) {
        rc = mdb_del (txn, db, &key, NULL);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    else if (strcmp (op, "clear") == 0 && argc == 4)
        rc = mdb_drop (txn, db, 0);
    else if (strcmp (op, "cut") == 0 && argc == 5)
        rc = s_cut (txn, db, strtoul (argv[4], NULL, 10));
    else if (strcmp (op, "count") == 0 && argc == 4) {
        MDB_stat st;
        rc = mdb_stat (txn, db, &st);
        if (rc == 0)
            printf ("%zu\n", st.ms_entries);
    }
    else {
        fprintf (stderr, "store_tool: bad arguments\n");
        return 2;
    }
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    if (rc != 0)
        return s_fail (op, rc);
    mdb_env_close (env);
    return 0;
}
