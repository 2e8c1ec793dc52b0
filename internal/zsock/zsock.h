// The C half of package zsock: whole messages in and out of a socket in one
// call. Included by zsock.go only.
#ifndef ZSOCK_H
#define ZSOCK_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

// ZS_MAX_PARTS bounds the frames of one message: a message with more is
// received to its end but only its first ZS_MAX_PARTS frames are kept.
#define ZS_MAX_PARTS 1024

// ZS_PROP_CAP bounds a message property kept by zs_recv (a ZAP user id
// is at most 255 bytes).
#define ZS_PROP_CAP 256

// Why zs_recv cut a message short (zs_socket.over).
#define ZS_OVER_PARTS 1
#define ZS_OVER_BYTES 2

// zs_socket is a socket with the parts of the last message received, valid
// until the next receive, and the message to send. It lives in C memory:
// Go reads and writes the arrays directly and passes no Go pointer to C.
typedef struct {
	void *sock;
	int nparts;
	int over;         // the last message was cut short: ZS_OVER_PARTS or ZS_OVER_BYTES
	size_t max_bytes; // most bytes of one message kept, all frames together
	zmq_msg_t parts[ZS_MAX_PARTS];
	size_t sizes[ZS_MAX_PARTS];
	void *data[ZS_MAX_PARTS];

	// The sender's message properties, taken by zs_recv when want_props
	// is set (zmq_msg_gets): "User-Id" and "Peer-Address", NUL-free,
	// with their lengths; 0 when libzmq has none.
	int want_props;
	char user_id[ZS_PROP_CAP];
	size_t user_id_len;
	char peer_addr[ZS_PROP_CAP];
	size_t peer_addr_len;

	int nout;
	size_t out_sizes[ZS_MAX_PARTS];
	char *out;
	size_t out_cap;
} zs_socket;

static void zs_release(zs_socket *s) {
	for (int i = 0; i < s->nparts; i++) zmq_msg_close(&s->parts[i]);
	s->nparts = 0;
}

// zs_prop copies the property name of m into buf (cap ZS_PROP_CAP): its
// length, 0 when m has none.
static size_t zs_prop(zmq_msg_t *m, const char *name, char *buf) {
	const char *v = zmq_msg_gets(m, name);
	if (v == NULL) return 0;
	size_t n = strnlen(v, ZS_PROP_CAP);
	memcpy(buf, v, n);
	return n;
}

// zs_props takes the properties of the message whose parts were kept. A
// ROUTER makes the first part (the routing id) itself, without the
// connection's metadata, so the last part kept is asked first.
static void zs_props(zs_socket *s) {
	s->user_id_len = s->peer_addr_len = 0;
	if (s->nparts == 0) return;
	zmq_msg_t *m = &s->parts[s->nparts - 1];
	if (zmq_msg_gets(m, "Peer-Address") == NULL) m = &s->parts[0];
	s->user_id_len = zs_prop(m, "User-Id", s->user_id);
	s->peer_addr_len = zs_prop(m, "Peer-Address", s->peer_addr);
}

// zs_recv takes one whole message: the number of parts kept, or -errno.
// flags apply to the first part; the others have arrived with it. Parts
// are kept while there are at most ZS_MAX_PARTS of them and at most
// max_bytes bytes in all; from the first part that passes a bound on,
// every part is closed as soon as it is taken (its memory freed at once,
// never copied) and s->over says which bound was passed.
static int zs_recv(zs_socket *s, int flags) {
	zs_release(s);
	s->over = 0;
	size_t total = 0;
	int more = 1, n = 0, first = 1;
	while (more) {
		zmq_msg_t spill, *m = n < ZS_MAX_PARTS ? &s->parts[n] : &spill;
		zmq_msg_init(m);
		while (zmq_msg_recv(m, s->sock, first ? flags : 0) < 0) {
			int e = zmq_errno();
			if (e != EINTR) {
				zmq_msg_close(m);
				zs_release(s);
				return -e;
			}
		}
		first = 0;
		more = zmq_msg_more(m);
		size_t size = zmq_msg_size(m);
		if (!s->over && m != &spill && size <= s->max_bytes - total) {
			total += size;
			s->sizes[n] = size;
			s->data[n] = zmq_msg_data(m);
			s->nparts = ++n;
			continue;
		}
		if (!s->over) s->over = m == &spill ? ZS_OVER_PARTS : ZS_OVER_BYTES;
		zmq_msg_close(m);
	}
	if (s->want_props) zs_props(s);
	return n;
}

// zs_send sends the nout parts laid end to end in out: 0 or -errno. flags
// apply to every part (SNDMORE is added). A message goes whole or, when
// its first part cannot go, not at all.
static int zs_send(zs_socket *s, int flags) {
	const char *p = s->out;
	for (int i = 0; i < s->nout; i++) {
		int f = flags | (i + 1 < s->nout ? ZMQ_SNDMORE : 0);
		while (zmq_send(s->sock, p, s->out_sizes[i], f) < 0) {
			int e = zmq_errno();
			if (e != EINTR) return -e;
		}
		p += s->out_sizes[i];
	}
	return 0;
}

// zs_reserve makes room for n bytes of message to send: 0 or -ENOMEM.
static int zs_reserve(zs_socket *s, size_t n) {
	if (n <= s->out_cap) return 0;
	char *p = realloc(s->out, n);
	if (p == NULL) return -ENOMEM;
	s->out = p;
	s->out_cap = n;
	return 0;
}

static zs_socket *zs_open(void *ctx, int type, int *err) {
	zs_socket *s = calloc(1, sizeof *s);
	if (s == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	s->max_bytes = SIZE_MAX;
	s->sock = zmq_socket(ctx, type);
	if (s->sock == NULL) {
		*err = zmq_errno();
		free(s);
		return NULL;
	}
	return s;
}

static void zs_close(zs_socket *s) {
	zs_release(s);
	zmq_close(s->sock);
	free(s->out);
	free(s);
}

static int zs_setint(zs_socket *s, int opt, int v) {
	return zmq_setsockopt(s->sock, opt, &v, sizeof v) < 0 ? -zmq_errno() : 0;
}

static int zs_setint64(zs_socket *s, int opt, int64_t v) {
	return zmq_setsockopt(s->sock, opt, &v, sizeof v) < 0 ? -zmq_errno() : 0;
}

static int zs_setbytes(zs_socket *s, int opt, const void *v, size_t len) {
	return zmq_setsockopt(s->sock, opt, v, len) < 0 ? -zmq_errno() : 0;
}

static int zs_getint(zs_socket *s, int opt, int *v) {
	size_t len = sizeof *v;
	return zmq_getsockopt(s->sock, opt, v, &len) < 0 ? -zmq_errno() : 0;
}

static int zs_bind(zs_socket *s, const char *ep, char *resolved, size_t cap) {
	if (zmq_bind(s->sock, ep) < 0) return -zmq_errno();
	if (zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, resolved, &cap) < 0) resolved[0] = 0;
	return 0;
}

static int zs_connect(zs_socket *s, const char *ep) {
	return zmq_connect(s->sock, ep) < 0 ? -zmq_errno() : 0;
}

static void *zs_item_socket(zs_socket *s) { return s->sock; }

static int zs_poll(zmq_pollitem_t *items, int n, long timeout) {
	int rc = zmq_poll(items, n, timeout);
	return rc < 0 ? -zmq_errno() : rc;
}

static int zs_ctx_term(void *ctx) {
	while (zmq_ctx_term(ctx) < 0) {
		int e = zmq_errno();
		if (e != EINTR) return -e;
	}
	return 0;
}

#endif
