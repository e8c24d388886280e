/* endpoint.c — the endpoints libzmq would take, told apart without touching a port. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tsunagu/tsg_endpoint.h"

#define S_HOST_MAX 253 /* longest DNS name */

/* True when name is a DNS host name: dot-separated labels of 1..63 letters, digits and
 * hyphens, none starting or ending with a hyphen. */
static bool
s_host_name (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > S_HOST_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || name[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (label == 0 && c == '-'))
            return false;
        label++;
    }
    return true;
}

/* True unless binding a fresh socket to address:0 says the address is not this machine's. */
static bool
s_local_address (const struct in_addr *address)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; /* cannot tell: start-up will */
    struct sockaddr_in sin;
    memset (&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr = *address;
    sin.sin_port = 0;
    bool local = bind (fd, (struct sockaddr *) &sin, sizeof sin) == 0 || errno != EADDRNOTAVAIL;
    close (fd);
    return local;
}

static const char *
s_tcp (const char *rest, bool bind)
{
    const char *colon = strrchr (rest, ':');
    if (!colon)
        return "no port: write tcp://HOST:PORT, e.g. tcp://127.0.0.1:7700";
    size_t host_len = (size_t) (colon - rest);
    if (host_len == 0)
        return "no host: write tcp://HOST:PORT, e.g. tcp://127.0.0.1:7700";
    if (rest[0] == '[' || memchr (rest, ':', host_len))
        return "IPv6 addresses are not supported (ZeroMQ's IPv6 option is off): use an IPv4 "
               "address";
    const char *port = colon + 1;
    size_t digits = strspn (port, "0123456789");
    if (digits == 0 || port[digits] != '\0' || digits > 5)
        return "the port must be a number from 1 to 65535";
    long value = strtol (port, NULL, 10);
    if (value < 1 || value > 65535)
        return "the port must be a number from 1 to 65535";
    char host[S_HOST_MAX + 1];
    if (host_len > S_HOST_MAX)
        return "the host is longer than 253 characters";
    memcpy (host, rest, host_len);
    host[host_len] = '\0';

    struct in_addr v4;
    bool numeric = inet_pton (AF_INET, host, &v4) == 1;
    if (!bind) {
        if (strcmp (host, "*") == 0)
            return "\"*\" is for binding: a connect needs the coordinator's address or host name";
        if (!numeric && !s_host_name (host))
            return "the host is neither an IPv4 address nor a host name";
        return NULL;
    }
    if (strcmp (host, "*") == 0)
        return NULL;
    if (numeric)
        return s_local_address (&v4) ? NULL : "the host is not an address of this machine";
    if (if_nametoindex (host) != 0)
        return NULL;
    return "the host must be \"*\", an IPv4 address of this machine or a network interface "
           "(a bind takes no host names)";
}

const char *
tsg_endpoint_check (const char *endpoint, bool bind)
{
    if (!endpoint || !*endpoint)
        return "empty: write tcp://HOST:PORT, e.g. tcp://127.0.0.1:7700";
    if (strncmp (endpoint, "tcp://", 6) == 0)
        return s_tcp (endpoint + 6, bind);
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        size_t len = strlen (endpoint + 6);
        if (len == 0)
            return "no path after ipc://";
        if (len >= sizeof ((struct sockaddr_un *) NULL)->sun_path)
            return "the ipc:// path is too long for a Unix socket";
        return NULL;
    }
    return "not a ZeroMQ endpoint: write tcp://HOST:PORT, e.g. tcp://127.0.0.1:7700";
}
