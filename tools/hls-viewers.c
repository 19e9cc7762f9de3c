// Simulated HLS players for tools/bench's viewer curve: VIEWERS live players on one
// playlist, each on its own keep-alive connection, in one epoll loop (thousands of
// players on a 2-core machine; a thread or coroutine per player would measure the
// load generator rather than the server).
//
//   hls-viewers HOST PORT PLAYLIST_PATH VIEWERS SECONDS [TARGET_MS]
//
// Each player behaves like hls.js / a native player on a live playlist: it loads the
// playlist, fetches the last 3 segments on the first load (the live edge is 3 target
// durations back) and afterwards every segment whose media sequence number it has not
// fetched yet, in order, on the same connection; it reloads the playlist TARGET_MS
// (default 1000) after the previous load started. Players join spread evenly over the
// first TARGET_MS. When the server closes a connection (Connection: close, EOF), the
// next request opens a new one.
//
// Prints one JSON line: counts, failures, playlist and segment latency percentiles
// (request written → last body byte read), and the generator's own lateness (how late
// each playlist reload was sent after it was due) and CPU time, which say whether the
// generator kept up. Build: gcc -O2 -o hls-viewers tools/hls-viewers.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUE 16
#define HEAD_MAX 4096
#define PLAYLIST_MAX 65536
#define URI_MAX 256
#define REQUEST_TIMEOUT_US 10000000LL

enum state { IDLE, CONNECTING, SENDING, READING };
enum kind { PLAYLIST, SEGMENT };

struct viewer {
    int fd;
    enum state state;
    enum kind kind;
    int64_t due_us;          // when the next playlist load is due (IDLE)
    int64_t poll_started_us; // when the current playlist load was due
    int64_t request_us;      // when the current request was written
    char request[512];
    int request_len, request_sent;
    char head[HEAD_MAX];
    int head_len;
    int64_t body_left;       // -1: still reading the head
    int close_after;
    int status;              // of the response being read
    char *body;              // playlist body
    int body_len;
    int64_t last_seq;        // highest media sequence fetched, -1 before the first load
    char queue[MAX_QUEUE][URI_MAX];
    int64_t queue_seq[MAX_QUEUE];
    int queue_len, queue_pos;
    int heap_index;
};

static struct sockaddr_in server;
static const char *playlist_path, *host;
static char base_path[URI_MAX];
static int epfd;
static int64_t target_us, end_us;
static struct viewer *viewers;
static int n_viewers;

// Results.
static uint32_t *pl_lat, *seg_lat, *late;
static size_t pl_n, seg_n, late_n, pl_cap, seg_cap, late_cap;
static long long ok_playlists, ok_segments, bytes_read, fail_status, fail_conn, fail_timeout, fail_parse;
static long long reconnects, missed_segments, connects;

static int64_t now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void push(uint32_t **a, size_t *n, size_t *cap, int64_t v) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        *a = realloc(*a, *cap * sizeof **a);
        if (!*a) { perror("realloc"); exit(2); }
    }
    (*a)[(*n)++] = v < 0 ? 0 : (uint32_t)v;
}

// ---- a binary min-heap of idle viewers by due time
static struct viewer **heap;
static int heap_n;

static void heap_swap(int i, int j) {
    struct viewer *t = heap[i]; heap[i] = heap[j]; heap[j] = t;
    heap[i]->heap_index = i; heap[j]->heap_index = j;
}

static void heap_add(struct viewer *v) {
    int i = heap_n++;
    heap[i] = v; v->heap_index = i;
    while (i > 0 && heap[(i - 1) / 2]->due_us > heap[i]->due_us) { heap_swap(i, (i - 1) / 2); i = (i - 1) / 2; }
}

static struct viewer *heap_pop(void) {
    struct viewer *top = heap[0];
    heap[0] = heap[--heap_n]; heap[0]->heap_index = 0;
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_n && heap[l]->due_us < heap[m]->due_us) m = l;
        if (r < heap_n && heap[r]->due_us < heap[m]->due_us) m = r;
        if (m == i) break;
        heap_swap(i, m); i = m;
    }
    top->heap_index = -1;
    return top;
}

// ---- connections and requests
static void close_fd(struct viewer *v) {
    if (v->fd >= 0) { epoll_ctl(epfd, EPOLL_CTL_DEL, v->fd, NULL); close(v->fd); v->fd = -1; }
}

static void schedule_next_poll(struct viewer *v) {
    int64_t due = v->poll_started_us + target_us, now = now_us();
    v->state = IDLE;
    v->due_us = due > now ? due : now;
    heap_add(v);
}

static void failed(struct viewer *v, long long *counter) {
    (*counter)++;
    close_fd(v);
    v->queue_len = v->queue_pos = 0;
    schedule_next_poll(v);
}

static void watch(struct viewer *v, uint32_t events, int op) {
    struct epoll_event ev = { .events = events, .data.ptr = v };
    if (epoll_ctl(epfd, op, v->fd, &ev) < 0) { perror("epoll_ctl"); exit(2); }
}

static void start_request(struct viewer *v, enum kind kind, const char *path) {
    v->kind = kind;
    v->request_len = snprintf(v->request, sizeof v->request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hls-viewers\r\n\r\n", path, host);
    v->request_sent = 0;
    v->head_len = 0;
    v->body_left = -1;
    v->body_len = 0;
    v->close_after = 0;
    v->request_us = now_us();
    if (v->fd < 0) {
        v->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (v->fd < 0) { failed(v, &fail_conn); return; }
        int one = 1;
        setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        connects++;
        if (connect(v->fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) {
            failed(v, &fail_conn); return;
        }
        v->state = CONNECTING;
        watch(v, EPOLLOUT, EPOLL_CTL_ADD);
        return;
    }
    v->state = SENDING;
    watch(v, EPOLLOUT, EPOLL_CTL_MOD);
}

static void next_segment_or_wait(struct viewer *v) {
    if (v->queue_pos < v->queue_len) {
        char path[2 * URI_MAX];
        const char *uri = v->queue[v->queue_pos];
        if (uri[0] == '/') snprintf(path, sizeof path, "%s", uri);
        else snprintf(path, sizeof path, "%s%s", base_path, uri);
        start_request(v, SEGMENT, path);
    } else {
        v->queue_len = v->queue_pos = 0;
        if (v->fd >= 0) watch(v, EPOLLIN, EPOLL_CTL_MOD);   // an EOF while idle is seen (and ignored) here
        schedule_next_poll(v);
    }
}

// Queues the segments not fetched yet, as a player does.
static int parse_playlist(struct viewer *v) {
    int64_t seq = 0;
    char *uris[512];
    int n = 0;
    v->body[v->body_len] = 0;
    if (strncmp(v->body, "#EXTM3U", 7) != 0) return -1;
    for (char *line = v->body, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[--len] = 0;
        if (!strncmp(line, "#EXT-X-MEDIA-SEQUENCE:", 22)) seq = atoll(line + 22);
        else if (len && line[0] != '#' && n < 512) uris[n++] = line;
    }
    int first = 0;
    if (v->last_seq < 0) first = n > 3 ? n - 3 : 0;
    else {
        while (first < n && seq + first <= v->last_seq) first++;
        if (first == 0 && n > 0 && seq > v->last_seq + 1) missed_segments += seq - v->last_seq - 1;
    }
    v->queue_len = v->queue_pos = 0;
    for (int i = first; i < n && v->queue_len < MAX_QUEUE; i++) {
        snprintf(v->queue[v->queue_len], URI_MAX, "%s", uris[i]);
        v->queue_seq[v->queue_len++] = seq + i;
    }
    return 0;
}

static void response_done(struct viewer *v, int status) {
    int64_t t = now_us() - v->request_us;
    if (v->close_after) { close_fd(v); reconnects++; }
    if (status != 200) { failed(v, &fail_status); return; }
    if (v->kind == PLAYLIST) {
        if (parse_playlist(v) < 0) { failed(v, &fail_parse); return; }
        ok_playlists++;
        push(&pl_lat, &pl_n, &pl_cap, t);
    } else {
        ok_segments++;
        push(&seg_lat, &seg_n, &seg_cap, t);
        v->last_seq = v->queue_seq[v->queue_pos++];
    }
    next_segment_or_wait(v);
}

static int header_value(const char *head, const char *name, char *out, size_t out_len) {
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;
        if (!strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *s = p + nl + 1, *e = strstr(s, "\r\n");
            while (*s == ' ') s++;
            size_t l = e ? (size_t)(e - s) : strlen(s);
            if (l >= out_len) l = out_len - 1;
            memcpy(out, s, l); out[l] = 0;
            return 1;
        }
    }
    return 0;
}

static void on_readable(struct viewer *v) {
    static char buf[1 << 16];
    for (;;) {
        ssize_t r = recv(v->fd, buf, sizeof buf, 0);
        if (r < 0) {
            if (errno == EAGAIN) return;
            if (v->state == IDLE) { close_fd(v); return; }
            failed(v, &fail_conn); return;
        }
        if (r == 0) {
            if (v->state == IDLE) { close_fd(v); reconnects++; return; }   // keep-alive closed by the server
            failed(v, &fail_conn); return;
        }
        if (v->state == IDLE) { fail_parse++; close_fd(v); return; }   // bytes nobody asked for; still scheduled
        bytes_read += r;
        char *p = buf;
        ssize_t left = r;
        if (v->body_left < 0) {
            int take = left < HEAD_MAX - 1 - v->head_len ? (int)left : HEAD_MAX - 1 - v->head_len;
            memcpy(v->head + v->head_len, p, take);
            v->head_len += take;
            v->head[v->head_len] = 0;
            char *end = strstr(v->head, "\r\n\r\n");
            if (!end) {
                if (v->head_len >= HEAD_MAX - 1) { failed(v, &fail_parse); return; }
                continue;
            }
            int head_bytes = (int)(end + 4 - v->head);
            int consumed_from_buf = head_bytes - (v->head_len - take);
            p += consumed_from_buf;
            left -= consumed_from_buf;
            *end = 0;
            v->status = 0;
            sscanf(v->head, "HTTP/1.%*d %d", &v->status);
            char value[64];
            if (!header_value(v->head, "Content-Length", value, sizeof value)) { failed(v, &fail_parse); return; }
            v->body_left = atoll(value);
            if (header_value(v->head, "Connection", value, sizeof value) && !strcasecmp(value, "close")) v->close_after = 1;
        }
        if (left > v->body_left) { failed(v, &fail_parse); return; }
        if (v->kind == PLAYLIST && v->status == 200) {
            if (v->body_len + left >= PLAYLIST_MAX) { failed(v, &fail_parse); return; }
            memcpy(v->body + v->body_len, p, left);
            v->body_len += (int)left;
        }
        v->body_left -= left;
        if (v->body_left == 0) {
            response_done(v, v->status);
            return;
        }
    }
}

static void on_writable(struct viewer *v) {
    if (v->state == CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { failed(v, &fail_conn); return; }
        v->state = SENDING;
    }
    while (v->request_sent < v->request_len) {
        ssize_t w = send(v->fd, v->request + v->request_sent, v->request_len - v->request_sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) return;
            failed(v, &fail_conn); return;
        }
        v->request_sent += (int)w;
    }
    v->state = READING;
    watch(v, EPOLLIN, EPOLL_CTL_MOD);
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(uint32_t *a, size_t n, double p) {
    if (!n) return -1;
    size_t i = (size_t)(p * (n - 1) + 0.5);
    return a[i] / 1000.0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: hls-viewers HOST PORT PLAYLIST_PATH VIEWERS SECONDS [TARGET_MS]\n");
        return 2;
    }
    host = argv[1];
    server.sin_family = AF_INET;
    server.sin_port = htons(atoi(argv[2]));
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) { fprintf(stderr, "HOST must be a numeric IPv4 address\n"); return 2; }
    playlist_path = argv[3];
    snprintf(base_path, sizeof base_path, "%s", playlist_path);
    char *slash = strrchr(base_path, '/');
    if (slash) slash[1] = 0;
    n_viewers = atoi(argv[4]);
    int seconds = atoi(argv[5]);
    target_us = (argc > 6 ? atoll(argv[6]) : 1000) * 1000;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)n_viewers + 16 > rl.rlim_cur) { fprintf(stderr, "RLIMIT_NOFILE %lu is too low for %d viewers\n", (unsigned long)rl.rlim_cur, n_viewers); return 2; }

    epfd = epoll_create1(EPOLL_CLOEXEC);
    viewers = calloc(n_viewers, sizeof *viewers);
    heap = calloc(n_viewers, sizeof *heap);
    int64_t start = now_us();
    end_us = start + (int64_t)seconds * 1000000;
    for (int i = 0; i < n_viewers; i++) {
        struct viewer *v = &viewers[i];
        v->fd = -1;
        v->last_seq = -1;
        v->body = malloc(PLAYLIST_MAX + 1);
        v->state = IDLE;
        v->due_us = start + target_us * i / n_viewers;   // joins spread over one target duration
        heap_add(v);
    }
    struct epoll_event events[1024];
    for (;;) {
        int64_t now = now_us();
        if (now >= end_us) break;
        while (heap_n && heap[0]->due_us <= now) {
            struct viewer *v = heap_pop();
            push(&late, &late_n, &late_cap, now - v->due_us);
            v->poll_started_us = v->due_us;
            start_request(v, PLAYLIST, playlist_path);
        }
        int64_t wait_us = heap_n ? heap[0]->due_us - now : 100000;
        if (wait_us > end_us - now) wait_us = end_us - now;
        int timeout = (int)((wait_us + 999) / 1000);
        int n = epoll_wait(epfd, events, 1024, timeout);
        for (int i = 0; i < n; i++) {
            struct viewer *v = events[i].data.ptr;
            if (v->fd < 0) continue;
            if (v->state == CONNECTING || v->state == SENDING) {
                if (events[i].events & (EPOLLERR | EPOLLHUP) && v->state == CONNECTING) { failed(v, &fail_conn); continue; }
                on_writable(v);
            } else on_readable(v);
        }
        // Requests stuck longer than the timeout fail (checked once per turn; cheap enough
        // at 4,000 viewers compared with the I/O).
        static int64_t last_sweep;
        now = now_us();
        if (now - last_sweep > 100000) {
            last_sweep = now;
            for (int i = 0; i < n_viewers; i++) {
                struct viewer *v = &viewers[i];
                if (v->state != IDLE && now - v->request_us > REQUEST_TIMEOUT_US) failed(v, &fail_timeout);
            }
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    qsort(pl_lat, pl_n, sizeof *pl_lat, cmp_u32);
    qsort(seg_lat, seg_n, sizeof *seg_lat, cmp_u32);
    qsort(late, late_n, sizeof *late, cmp_u32);
    int in_flight = 0;
    for (int i = 0; i < n_viewers; i++) in_flight += viewers[i].state != IDLE;
    printf("{\"viewers\": %d, \"seconds\": %d, \"playlists_ok\": %lld, \"segments_ok\": %lld, \"bytes\": %lld, "
           "\"failed_status\": %lld, \"failed_connection\": %lld, \"failed_timeout\": %lld, \"failed_parse\": %lld, "
           "\"connects\": %lld, \"closed_by_server\": %lld, \"missed_segments\": %lld, \"in_flight_at_end\": %d, "
           "\"playlist_p50_ms\": %.3f, \"playlist_p99_ms\": %.3f, \"playlist_max_ms\": %.3f, "
           "\"segment_p50_ms\": %.3f, \"segment_p99_ms\": %.3f, "
           "\"late_p50_ms\": %.3f, \"late_p99_ms\": %.3f, \"late_max_ms\": %.3f, \"generator_cpu_s\": %.3f}\n",
           n_viewers, seconds, ok_playlists, ok_segments, bytes_read, fail_status, fail_conn, fail_timeout, fail_parse,
           connects, reconnects, missed_segments, in_flight,
           pct(pl_lat, pl_n, 0.5), pct(pl_lat, pl_n, 0.99), pct(pl_lat, pl_n, 1.0),
           pct(seg_lat, seg_n, 0.5), pct(seg_lat, seg_n, 0.99),
           pct(late, late_n, 0.5), pct(late, late_n, 0.99), pct(late, late_n, 1.0), cpu);
    return 0;
}
