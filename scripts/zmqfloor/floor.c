// floor.c - the floor libzmq puts on a request/reply round trip through a
// broker process.
//
// This is a bare libzmq relay (ROUTER front, ROUTER back), echo workers
// (DEALER) and a load client (DEALER), with no protocol logic at all: the
// relay does only what any ZeroMQ broker must do - read a request, pick a
// worker round-robin, forward, read the reply, route it back to the client by
// its identity frame. Whatever CPU the relay spends per request is what libzmq
// itself costs a broker; the difference between that and mdbroker's CPU per
// request is what the Majordomo protocol and our Go code add on top. It is the
// evidence for the README's comparison with NATS.
//
// Build:   gcc -O2 -o floor floor.c -lzmq      (scripts/zmqfloor/run.sh does this)
//
// Modes:
//   floor relay              bind FRONT (clients) and BACK (workers), relay forever
//   floor worker N           N DEALER sockets on BACK; each sends READY once, then
//                            echoes every message it gets, all frames unchanged
//   floor client C W S [F]   C DEALER sockets on FRONT, W requests in flight on
//                            each; 1 s warm-up, then S seconds measured; prints one
//                            JSON line (req/s, p50/p99 latency, and the relay's CPU
//                            per request when FLOOR_RELAY_PID names the relay)
//
// Frames (F, default 1): a Majordomo request carries several frames, and libzmq
// costs are largely per frame, so F makes the messages look like MDP's on the
// wire (counts exclude the ROUTER identity frame):
//
//                          F=1           F>1 (F=6 is MDP-like)     MDP (ours)
//   client -> relay        body          F-1 small frames + body   6
//   relay  -> worker       cid, body     cid, "", frames 2..F      7  (= F+1)
//   worker -> relay        (echo)        (echo)                    6  (here F+1)
//   relay  -> client       body          frames 2..F               5  (= F-1)
//
// "cid" is the client's identity and "" an empty delimiter the relay adds; it
// drops the client's first small frame going to the worker and the empty frame
// coming back, so it builds and strips frames as a broker does. The small
// frames are 6-16 bytes (like MDP's header, command, service, UUID and flags
// frames) and the body is 64 bytes; the body's first 8 bytes carry the send
// time. Per request the relay handles 29 frames at F=6 against MDP's 28
// (identity frames included), and 10 at F=1.
//
// Endpoints: env FLOOR_FRONT and FLOOR_BACK (default tcp://127.0.0.1:5600 and
// tcp://127.0.0.1:5601; mdbroker's default is 5555).
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#define HWM 100000 // high-water marks well above C*W, so nothing is dropped
#define BATCH 1024 // messages drained per socket per poll wakeup
#define MAXF 64    // most frames a message may carry
#define BODY 64    // body size in bytes

static const char *FRONT = "tcp://127.0.0.1:5600";
static const char *BACK = "tcp://127.0.0.1:5601";

static void die(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static void *mksock(void *ctx, int type) {
    void *s = zmq_socket(ctx, type);
    if (!s) die("zmq_socket");
    int hwm = HWM, linger = 0;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    return s;
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

// recv_all reads one whole multipart message into m[0..] and returns its frame
// count, or 0 if flags has ZMQ_DONTWAIT and nothing is waiting.
static int recv_all(void *s, zmq_msg_t *m, int flags) {
    int n = 0, more;
    size_t ml = sizeof more;
    for (;;) {
        if (zmq_msg_recv(&m[n], s, n ? 0 : flags) < 0) {
            if (n == 0 && zmq_errno() == EAGAIN) return 0;
            die("recv");
        }
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
        if (n < MAXF - 1) n++; // overlong messages: extra frames overwrite the last slot
        if (!more) return n;
    }
}

/* ---------------- relay ----------------
 * Workers announce themselves with a single-frame READY; the relay keeps their
 * identities and hands requests out round-robin. Until the first worker is
 * known it does not read the front socket, so early requests wait in libzmq.
 */

typedef struct { size_t len; unsigned char id[256]; } wid_t;
#define MAXW 4096
static wid_t workers[MAXW];
static int nworkers, rr;

static int run_relay(const char *front_ep, const char *back_ep) {
    void *ctx = zmq_ctx_new();
    void *front = mksock(ctx, ZMQ_ROUTER);
    void *back = mksock(ctx, ZMQ_ROUTER);
    if (zmq_bind(front, front_ep) < 0) die("bind front");
    if (zmq_bind(back, back_ep) < 0) die("bind back");
    zmq_pollitem_t items[2] = {{back, 0, ZMQ_POLLIN, 0}, {front, 0, ZMQ_POLLIN, 0}};
    zmq_msg_t m[MAXF];
    for (int i = 0; i < MAXF; i++) zmq_msg_init(&m[i]);
    for (;;) {
        if (zmq_poll(items, nworkers ? 2 : 1, -1) < 0) {
            if (zmq_errno() == EINTR) continue;
            die("poll");
        }
        // Back first: replies and READYs. A reply is wid, cid, [""], frames...
        for (int i = 0; i < BATCH; i++) {
            int n = recv_all(back, m, ZMQ_DONTWAIT);
            if (n == 0) break;
            if (n == 2) { // wid, READY
                if (nworkers < MAXW && zmq_msg_size(&m[0]) <= sizeof workers[0].id) {
                    workers[nworkers].len = zmq_msg_size(&m[0]);
                    memcpy(workers[nworkers].id, zmq_msg_data(&m[0]), zmq_msg_size(&m[0]));
                    nworkers++;
                }
                continue;
            }
            if (n < 3) continue; // malformed
            // To the client: cid, then everything after it, minus the empty
            // delimiter this relay added (present when more than cid+body came back).
            int from = (n > 3 && zmq_msg_size(&m[2]) == 0) ? 3 : 2;
            if (zmq_msg_send(&m[1], front, ZMQ_SNDMORE) < 0) die("send front cid");
            for (int k = from; k < n; k++)
                if (zmq_msg_send(&m[k], front, k + 1 < n ? ZMQ_SNDMORE : 0) < 0) die("send front");
        }
        if (!nworkers) continue;
        // Front: requests. A request is cid, frames 1..F.
        for (int i = 0; i < BATCH; i++) {
            int n = recv_all(front, m, ZMQ_DONTWAIT);
            if (n == 0) break;
            if (n < 2) continue;
            wid_t *w = &workers[rr];
            rr = (rr + 1) % nworkers;
            if (zmq_send(back, w->id, w->len, ZMQ_SNDMORE) < 0) die("send wid");
            if (zmq_msg_send(&m[0], back, ZMQ_SNDMORE) < 0) die("send cid");
            int from = 1;
            if (n > 2) { // F>1: add an empty delimiter, drop the first small frame
                if (zmq_send(back, "", 0, ZMQ_SNDMORE) < 0) die("send empty");
                from = 2;
            }
            for (int k = from; k < n; k++)
                if (zmq_msg_send(&m[k], back, k + 1 < n ? ZMQ_SNDMORE : 0) < 0) die("send back");
        }
    }
    return 0;
}

/* ---------------- worker ----------------
 * N DEALER sockets in one thread; each echoes every frame it receives.
 */

static int run_worker(int n, const char *back_ep) {
    void *ctx = zmq_ctx_new();
    void **s = calloc(n, sizeof *s);
    zmq_pollitem_t *items = calloc(n, sizeof *items);
    for (int i = 0; i < n; i++) {
        s[i] = mksock(ctx, ZMQ_DEALER);
        if (zmq_connect(s[i], back_ep) < 0) die("connect");
        if (zmq_send(s[i], "READY", 5, 0) < 0) die("send READY");
        items[i].socket = s[i];
        items[i].events = ZMQ_POLLIN;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    int more;
    size_t ml = sizeof more;
    for (;;) {
        if (zmq_poll(items, n, -1) < 0) {
            if (zmq_errno() == EINTR) continue;
            die("poll");
        }
        for (int k = 0; k < n; k++) {
            if (!(items[k].revents & ZMQ_POLLIN)) continue;
            for (int i = 0; i < BATCH; i++) {
                if (zmq_msg_recv(&m, s[k], ZMQ_DONTWAIT) < 0) {
                    if (zmq_errno() == EAGAIN) break;
                    die("worker recv");
                }
                for (;;) { // echo frame by frame, zero-copy
                    zmq_getsockopt(s[k], ZMQ_RCVMORE, &more, &ml);
                    if (zmq_msg_send(&m, s[k], more ? ZMQ_SNDMORE : 0) < 0) die("worker send");
                    if (!more) break;
                    if (zmq_msg_recv(&m, s[k], 0) < 0) die("worker recv");
                }
            }
        }
    }
    return 0;
}

/* ---------------- client ----------------
 * C sockets, W requests in flight on each (closed loop: a reply triggers the
 * next request). Latency is measured from the send time in the body.
 */

static int cmp_u32(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

// cpu_ticks returns utime+stime of pid in clock ticks, or -1.
static long cpu_ticks(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); // comm may contain spaces; fields follow the last ')'
    if (!p) return -1;
    unsigned long ut, st;
    // after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (long)(ut + st);
}

// Sizes of the F-1 small frames, cycled: like MDP's protocol header, command
// (padded), service name, UUID and flags frames.
static const size_t small_sizes[] = {6, 8, 12, 16, 8};

static void send_request(void *s, int F, unsigned char *small, unsigned char *body) {
    uint64_t t = now_ns();
    memcpy(body, &t, sizeof t);
    for (int f = 0; f < F - 1; f++) {
        size_t len = small_sizes[f % (sizeof small_sizes / sizeof small_sizes[0])];
        if (zmq_send(s, small, len, ZMQ_SNDMORE) < 0) die("client send");
    }
    if (zmq_send(s, body, BODY, 0) < 0) die("client send");
}

static int run_client(int C, int W, double secs, int F, const char *front_ep) {
    void *ctx = zmq_ctx_new();
    void **s = calloc(C, sizeof *s);
    zmq_pollitem_t *items = calloc(C, sizeof *items);
    size_t cap = (size_t)(secs * 2000000.0) + 1000;
    uint32_t *lat = malloc(cap * sizeof *lat); // latency in ns
    if (!lat) { perror("malloc"); return 1; }
    memset(lat, 0, cap * sizeof *lat); // fault pages in up front
    size_t nlat = 0;
    unsigned char body[BODY], small[16];
    memset(body, 0xab, sizeof body);
    memcpy(small, "MDPC0Xmdbench.ec", 16);
    const char *rp = getenv("FLOOR_RELAY_PID");
    int relay_pid = rp ? atoi(rp) : 0;
    long ticks0 = -1, ticks1 = -1;
    for (int i = 0; i < C; i++) {
        s[i] = mksock(ctx, ZMQ_DEALER);
        if (zmq_connect(s[i], front_ep) < 0) die("connect");
        items[i].socket = s[i];
        items[i].events = ZMQ_POLLIN;
    }
    uint64_t warm_end = now_ns() + 1000000000ull;
    uint64_t end = warm_end + (uint64_t)(secs * 1e9);
    for (int i = 0; i < C; i++)
        for (int j = 0; j < W; j++) send_request(s[i], F, small, body);
    zmq_msg_t m;
    zmq_msg_init(&m);
    int more;
    size_t ml = sizeof more;
    int frames_back = 0;
    uint64_t t = now_ns();
    while (t < end) {
        int rc = zmq_poll(items, C, 100);
        if (rc < 0) {
            if (zmq_errno() == EINTR) continue;
            die("poll");
        }
        for (int k = 0; k < C; k++) {
            if (!(items[k].revents & ZMQ_POLLIN)) continue;
            for (int i = 0; i < BATCH; i++) {
                // Read the whole reply; the body is its last frame.
                int nf = 0;
                for (;;) {
                    if (zmq_msg_recv(&m, s[k], nf ? 0 : ZMQ_DONTWAIT) < 0) {
                        if (nf == 0 && zmq_errno() == EAGAIN) break;
                        die("client recv");
                    }
                    nf++;
                    zmq_getsockopt(s[k], ZMQ_RCVMORE, &more, &ml);
                    if (!more) break;
                }
                if (nf == 0) break;
                frames_back = nf;
                t = now_ns();
                uint64_t ts = 0;
                if (zmq_msg_size(&m) >= sizeof ts) memcpy(&ts, zmq_msg_data(&m), sizeof ts);
                if (t >= warm_end && t < end && nlat < cap) {
                    if (ticks0 < 0 && relay_pid) ticks0 = cpu_ticks(relay_pid);
                    uint64_t d = t - ts;
                    lat[nlat++] = d > 0xffffffffull ? 0xffffffffu : (uint32_t)d;
                }
                send_request(s[k], F, small, body);
            }
        }
        t = now_ns();
    }
    if (relay_pid) ticks1 = cpu_ticks(relay_pid);
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    double p50 = nlat ? lat[nlat / 2] / 1000.0 : 0;
    double p99 = nlat ? lat[(size_t)(nlat * 0.99)] / 1000.0 : 0;
    printf("{\"clients\":%d,\"window\":%d,\"frames\":%d,\"reply_frames\":%d,\"seconds\":%g,"
           "\"req_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"n\":%zu",
           C, W, F, frames_back, secs, nlat / secs, p50, p99, nlat);
    if (relay_pid && ticks0 >= 0 && ticks1 >= 0 && nlat) {
        double cpu_s = (double)(ticks1 - ticks0) / sysconf(_SC_CLK_TCK);
        printf(",\"relay_cpu_s\":%.2f,\"relay_cpu_pct\":%.1f,\"relay_cpu_us_per_req\":%.2f",
               cpu_s, cpu_s / secs * 100, cpu_s * 1e6 / nlat);
    }
    printf("}\n");
    fflush(stdout);
    _exit(0); // skip context teardown: sockets still hold in-flight requests
}

int main(int argc, char **argv) {
    const char *fe = getenv("FLOOR_FRONT"), *be = getenv("FLOOR_BACK");
    if (fe) FRONT = fe;
    if (be) BACK = be;
    if (argc >= 2 && !strcmp(argv[1], "relay")) return run_relay(FRONT, BACK);
    if (argc >= 3 && !strcmp(argv[1], "worker")) return run_worker(atoi(argv[2]), BACK);
    if (argc >= 5 && !strcmp(argv[1], "client")) {
        int F = argc >= 6 ? atoi(argv[5]) : 1;
        if (F < 1 || F > MAXF - 4) { fprintf(stderr, "floor: frames must be 1..%d\n", MAXF - 4); return 2; }
        return run_client(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), F, FRONT);
    }
    fprintf(stderr, "usage: floor relay | floor worker N | floor client C W SECONDS [FRAMES]\n"
                    "  env FLOOR_FRONT / FLOOR_BACK override the endpoints (default tcp 5600/5601)\n"
                    "  env FLOOR_RELAY_PID makes the client report the relay's CPU per request\n");
    return 2;
}
