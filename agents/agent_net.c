/*
 * agent_net: what the agent exposes to the network and the secrets it
 * guards it with — the --listen address (parsed and resolved once, at
 * argument time, so a bad one is a bad argument, exit 2, and whether it is
 * beyond loopback is known before anything binds), and the files of
 * secrets and certificates: the bearer token, the TLS key and certificate.
 *
 * The rule these serve (agent_main.c enforces it): an agent reachable from
 * the network wants a token for everything but /healthz and speaks TLS
 * unless told --plain-http, so the token never crosses the cluster network
 * in clear by default; on loopback it behaves as it always did.
 *
 * Files are read with a bound on their size and only when they are
 * regular files (a token file of /dev/zero must not fill memory), and a
 * secret (the token, the TLS key) that group or others may read is refused
 * naming its mode: a warning in a log nobody reads protects nothing.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

/* ---- --listen ---------------------------------------------------------------------- */

/* "ADDR:PORT" or "[V6]:PORT" → host and port strings. 0 or LV_EINVAL with *why. */
static int split_listen(const char *s, char *host, size_t hsize, char *port, size_t psize,
                        char **why)
{
	const char *colon;
	size_t hlen;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return lv_fail(why, LV_EINVAL,
			               "--listen: '%s': expected [IPV6]:PORT, e.g. [::1]:5000", s);
		hlen = (size_t)(close - s - 1);
		colon = close + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return lv_fail(why, LV_EINVAL,
			               "--listen: '%s': expected ADDR:PORT, e.g. "
			               "127.0.0.1:5000",
			               s);
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0)
		return lv_fail(why, LV_EINVAL,
		               "--listen: '%s': no address before the port (127.0.0.1%s for this "
		               "host only, 0.0.0.0%s for every interface)",
		               s, colon, colon);
	if (hlen >= hsize)
		return lv_fail(why, LV_EINVAL, "--listen: the address is longer than %zu bytes",
		               hsize - 1);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	long p;
	if (lv_parse_long(colon + 1, &p) != 0 || p < 0 || p > 65535 || strlen(colon + 1) >= psize)
		return lv_fail(why, LV_EINVAL, "--listen: '%s': the port must be 0 to 65535",
		               colon + 1);
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (an IPv4 loopback address as IPv6). */
static int addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return 0;
}

int lv_agent_listen_parse(const char *s, struct lv_listen *out, char **why)
{
	char host[256], port[8];
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		                  .ai_socktype = SOCK_STREAM,
		                  .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	memset(out, 0, sizeof(*out));
	if (split_listen(s, host, sizeof(host), port, sizeof(port), why) != 0)
		return LV_EINVAL;
	int err = getaddrinfo(host, port, &hints, &ai);
	if (err != 0)
		return lv_fail(why, LV_EINVAL, "--listen: '%s': %s", s, gai_strerror(err));
	if (ai->ai_addrlen > sizeof(out->addr)) {
		freeaddrinfo(ai);
		return lv_fail(why, LV_EINVAL, "--listen: '%s': unsupported address", s);
	}
	memcpy(&out->addr, ai->ai_addr, ai->ai_addrlen);
	out->len = ai->ai_addrlen;
	out->loopback = addr_is_loopback(ai->ai_addr);
	freeaddrinfo(ai);
	return 0;
}

/* ---- files ----------------------------------------------------------------------- */

char *lv_agent_read_small_file(const char *path, const char *what, size_t max, int secret,
                               size_t *len_out, char **why)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		lv_fail(why, LV_EINVAL, "%s %s: cannot open: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		lv_fail(why, LV_EINVAL, "%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		lv_fail(why, LV_EINVAL, "%s %s: not a regular file", what, path);
		goto out;
	}
	if (secret && (st.st_mode & 077)) {
		lv_fail(why, LV_EINVAL,
		        "%s %s: mode %04o lets group or others at the secret; refused "
		        "(chmod 600 %s)",
		        what, path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		lv_fail(why, LV_EINVAL, "%s %s: %lld bytes, more than the %zu such a file holds",
		        what, path, (long long)st.st_size, max);
		goto out;
	}
	size_t n = (size_t)st.st_size, got = 0;
	buf = lv_xmalloc(n + 1);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			lv_fail(why, LV_EINVAL, "%s %s: read error", what, path);
			free(buf);
			buf = NULL;
			goto out;
		}
		got += (size_t)r;
	}
	buf[n] = '\0';
	if (len_out)
		*len_out = n;
out:
	close(fd);
	return buf;
}

/*
 * Whether text holds a PEM block of a type in `types` (NULL-terminated):
 * a "-----BEGIN <type>-----" line with its matching END line after it.
 * Returns the type found, or NULL.
 */
static const char *pem_block(const char *text, const char *const *types)
{
	for (const char *const *t = types; *t; t++) {
		char begin[64], end[64];
		snprintf(begin, sizeof(begin), "-----BEGIN %s-----", *t);
		snprintf(end, sizeof(end), "-----END %s-----", *t);
		const char *b = strstr(text, begin);
		if (b && strstr(b + strlen(begin), end))
			return *t;
	}
	return NULL;
}

int lv_agent_pem_check(const char *opt, const char *path, const char *text, int key, char **why)
{
	static const char *const certs[] = { "CERTIFICATE", NULL };
	static const char *const keys[] = { "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
		                            NULL };
	if (strlen(text) == 0)
		return lv_fail(why, LV_EINVAL, "%s %s: the file is empty", opt, path);
	if (key && strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
		return lv_fail(why, LV_EINVAL,
		               "%s %s: the key is encrypted; the agent needs it unencrypted "
		               "(mode 0600, readable by root only)",
		               opt, path);
	if (pem_block(text, key ? keys : certs))
		return 0;
	if (pem_block(text, key ? certs : keys))
		return lv_fail(why, LV_EINVAL, "%s %s: %s, not %s", opt, path,
		               key ? "a certificate" : "a private key",
		               key ? "a private key" : "a certificate");
	return lv_fail(why, LV_EINVAL, "%s %s: no PEM %s in it (-----BEGIN %s-----)", opt, path,
	               key ? "private key" : "certificate", key ? "PRIVATE KEY" : "CERTIFICATE");
}
