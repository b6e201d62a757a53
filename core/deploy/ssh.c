/*
 * ssh: the libssh wrapper (contracts in ssh.h). Owns the libssh calls of the
 * project but file transfers (ssh_xfer.c): session options and ssh_config,
 * the host-key policy, the authentication order and exec channels.
 *
 * Authentication order: an explicit key file alone when one is given (a wrong
 * key must fail, not fall back to whatever the agent holds); otherwise the SSH
 * agent and the identities from ssh_config or ~/.ssh. A password, when given,
 * is tried last. Appends to known_hosts are serialised with a mutex, since
 * hosts connect in parallel and may share the file.
 */
#include "ssh.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_impl.h"
#include "base/util.h"

#define CHUNK LV_SSH_CHUNK

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static void global_init(void)
{
	ssh_init();
}

void lv_ssh_global_fini(void)
{
	ssh_finalize();
}

int lv_ssh_fail(struct lv_ssh *c, char **why, const char *what)
{
	return lv_fail(why, LV_EIO, "%s: %s: %s", c->peer, what, ssh_get_error(c->s));
}

/* The server key's SHA256 fingerprint for messages; caller frees. */
static char *fingerprint(ssh_session s)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *out = NULL;
	if (ssh_get_server_publickey(s, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
		char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
		if (fp) {
			out = lv_xstrdup(fp);
			ssh_string_free_char(fp);
		}
	}
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return out ? out : lv_xstrdup("unknown fingerprint");
}

static int check_host_key(struct lv_ssh *c, const struct lv_ssh_opts *o, char **why)
{
	const char *file = o->known_hosts ? o->known_hosts : "~/.ssh/known_hosts";
	enum ssh_known_hosts_e st = ssh_session_is_known_server(c->s);
	char *fp = NULL;
	int rc = LV_EIO;
	switch (st) {
	case SSH_KNOWN_HOSTS_OK: return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		fp = fingerprint(c->s);
		lv_fail(why, LV_EIO,
		        "%s: REMOTE HOST IDENTIFICATION HAS CHANGED (now %s); refusing to connect. "
		        "If the host was reinstalled, remove its old key from %s",
		        c->peer, fp, file);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		fp = fingerprint(c->s);
		if (o->hostkey == LV_SSH_HOSTKEY_STRICT) {
			lv_fail(why, LV_EIO,
			        "%s: host key %s is not in %s; refusing an unknown host "
			        "(add it, or pass --accept-new)",
			        c->peer, fp, file);
			break;
		}
		pthread_mutex_lock(&known_hosts_lock);
		rc = ssh_session_update_known_hosts(c->s) == SSH_OK ? 0 : LV_EIO;
		pthread_mutex_unlock(&known_hosts_lock);
		if (rc)
			lv_ssh_fail(c, why, "cannot record the host key");
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default: lv_ssh_fail(c, why, "cannot check the host key"); break;
	}
	free(fp);
	return rc;
}

static int authenticate(struct lv_ssh *c, const struct lv_ssh_opts *o, char **why)
{
	int rc = SSH_AUTH_DENIED;
	if (o->key_file) {
		ssh_key key = NULL;
		if (ssh_pki_import_privkey_file(o->key_file, NULL, NULL, NULL, &key) != SSH_OK)
			return lv_fail(why, LV_EIO, "%s: cannot read private key %s", c->peer,
			               o->key_file);
		rc = ssh_userauth_publickey(c->s, NULL, key);
		ssh_key_free(key);
	} else {
		rc = ssh_userauth_publickey_auto(c->s, NULL, NULL);
	}
	if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && o->password)
		rc = ssh_userauth_password(c->s, NULL, o->password);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
		return lv_ssh_fail(c, why, "authentication failed");
	return lv_fail(why, LV_EIO, "%s: permission denied (%s)", c->peer,
	               o->key_file   ? o->key_file
	               : o->password ? "publickey,password"
	                             : "publickey");
}

static int set_options(struct lv_ssh *c, const struct lv_ssh_opts *o, char **why)
{
	ssh_session s = c->s;
	long timeout = o->timeout_s > 0 ? o->timeout_s : 10;
	bool no = false;
	if (ssh_options_set(s, SSH_OPTIONS_HOST, o->host) < 0)
		return lv_fail(why, LV_EIO, "%s: bad host name", o->host);
	if (o->config_file && !o->config_file[0]) {
		ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	} else if (ssh_options_parse_config(s, o->config_file) < 0) {
		return lv_fail(why, LV_EIO, "%s: cannot read ssh config %s", o->host,
		               o->config_file ? o->config_file : "~/.ssh/config");
	}
	if (o->port > 0)
		ssh_options_set(s, SSH_OPTIONS_PORT, &o->port);
	if (o->user)
		ssh_options_set(s, SSH_OPTIONS_USER, o->user);
	if (o->known_hosts)
		ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	return 0;
}

static char *peer_name(ssh_session s, const char *fallback_host)
{
	char *user = NULL, *host = NULL;
	unsigned int port = 22;
	ssh_options_get(s, SSH_OPTIONS_USER, &user);
	ssh_options_get(s, SSH_OPTIONS_HOST, &host);
	ssh_options_get_port(s, &port);
	char *peer = lv_xasprintf("%s@%s:%u", user ? user : "?", host ? host : fallback_host, port);
	ssh_string_free_char(user);
	ssh_string_free_char(host);
	return peer;
}

int lv_ssh_connect(const struct lv_ssh_opts *o, struct lv_ssh **out, char **why)
{
	pthread_once(&init_once, global_init);
	*out = NULL;
	struct lv_ssh *c = lv_xcalloc(1, sizeof *c);
	int rc = LV_EIO;
	c->s = ssh_new();
	if (!c->s) {
		c->peer = lv_xstrdup(o->host);
		lv_fail(why, LV_EIO, "%s: cannot create an SSH session", o->host);
		goto out;
	}
	rc = set_options(c, o, why);
	c->peer = peer_name(c->s, o->host);
	if (rc)
		goto out;
	rc = LV_EIO;
	if (ssh_connect(c->s) != SSH_OK) {
		lv_ssh_fail(c, why, "cannot connect");
		goto out;
	}
	rc = check_host_key(c, o, why);
	if (rc == 0)
		rc = authenticate(c, o, why);
	if (rc)
		goto out;
	char *user = NULL;
	ssh_options_get(c->s, SSH_OPTIONS_USER, &user);
	c->user = lv_xstrdup(user ? user : "");
	ssh_string_free_char(user);
	*out = c;
	c = NULL;
out:
	lv_ssh_free(c);
	return rc;
}

void lv_ssh_free(struct lv_ssh *c)
{
	if (!c)
		return;
	if (c->sftp)
		sftp_free(c->sftp);
	if (c->s) {
		if (ssh_is_connected(c->s))
			ssh_disconnect(c->s);
		ssh_free(c->s);
	}
	free(c->xfer_note);
	free(c->user);
	free(c->peer);
	free(c);
}

const char *lv_ssh_user(const struct lv_ssh *c)
{
	return c->user;
}

const char *lv_ssh_peer(const struct lv_ssh *c)
{
	return c->peer;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = lv_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Reads what is available on both streams; 1 when something came, 0 none, <0 error. */
static int pump(ssh_channel ch, char *buf, lv_ssh_output_fn fn, void *ud, struct lv_ssh_result *res)
{
	int got = 0;
	for (int is_err = 0; is_err < 2; is_err++) {
		int n = is_err ? ssh_channel_read_nonblocking(ch, buf, CHUNK, 1)
		               : ssh_channel_read_timeout(ch, buf, CHUNK, 0, 50);
		if (n == SSH_ERROR)
			return -1;
		if (n <= 0)
			continue;
		got = 1;
		if (is_err)
			append(&res->err, &res->err_len, buf, (size_t)n);
		else
			append(&res->out, &res->out_len, buf, (size_t)n);
		if (fn)
			fn(ud, is_err ? 2 : 1, buf, (size_t)n);
	}
	return got;
}

/* Writes all of `in` to the channel (libssh waits for the peer's window). */
static int write_all(ssh_channel ch, const char *in, size_t len)
{
	while (len > 0) {
		uint32_t n = len < CHUNK ? (uint32_t)len : CHUNK;
		int w = ssh_channel_write(ch, in, n);
		if (w == SSH_ERROR || w <= 0)
			return -1;
		in += w;
		len -= (size_t)w;
	}
	return 0;
}

int lv_ssh_exec_stdin(struct lv_ssh *c, const char *cmd, const void *in, size_t in_len,
                      lv_ssh_output_fn fn, void *ud, struct lv_ssh_result *res, char **why)
{
	memset(res, 0, sizeof *res);
	res->out = lv_xcalloc(1, 1);
	res->err = lv_xcalloc(1, 1);
	res->status = -1;
	char *buf = lv_xmalloc(CHUNK);
	int rc = LV_EIO;
	ssh_channel ch = ssh_channel_new(c->s);
	if (!ch || ssh_channel_open_session(ch) != SSH_OK) {
		lv_ssh_fail(c, why, "cannot open a channel");
		goto out;
	}
	if (ssh_channel_request_exec(ch, cmd) != SSH_OK) {
		lv_ssh_fail(c, why, "cannot run a command");
		goto out;
	}
	if (write_all(ch, in, in_len)) {
		/* the command may have ended before reading all of its input */
		while (pump(ch, buf, fn, ud, res) > 0)
			;
		res->status = ssh_is_connected(c->s) ? ssh_channel_get_exit_status(ch) : -1;
		if (res->status < 0)
			lv_ssh_fail(c, why, "connection lost while sending a command its input");
		else
			rc = 0;
		goto out;
	}
	ssh_channel_send_eof(ch);
	for (;;) {
		int got = pump(ch, buf, fn, ud, res);
		if (got < 0) {
			lv_ssh_fail(c, why, "connection lost while running a command");
			goto out;
		}
		if (!got && ssh_channel_is_eof(ch))
			break;
	}
	res->status = ssh_channel_get_exit_status(ch);
	rc = 0;
out:
	if (ch) {
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	free(buf);
	return rc;
}

int lv_ssh_exec(struct lv_ssh *c, const char *cmd, lv_ssh_output_fn fn, void *ud,
                struct lv_ssh_result *res, char **why)
{
	return lv_ssh_exec_stdin(c, cmd, NULL, 0, fn, ud, res, why);
}

void lv_ssh_result_fini(struct lv_ssh_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}
