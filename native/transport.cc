// Obrol's native socket transport: plain TCP listeners and connections
// driven by one epoll set, watched by libuv as a single file descriptor.
//
// Why: with Node's net.Socket every read is a JavaScript callback through
// the stream layer with a fresh Buffer, and every write makes a request
// object and a completion callback. Here one wake-up of the event loop reads
// every ready socket into one shared buffer (the arena) and hands JavaScript
// the whole batch in one call; writes are a direct writev(2) from the calling
// JavaScript, with only what the kernel did not take copied and kept here.
// A connection costs a file descriptor and a small struct, not a net.Socket.
//
// The JavaScript side (src/net/native.ts) owns the protocol: it frames lines
// and decides when to write, end or destroy. This file only moves bytes.
//
// Level-triggered epoll: each ready socket is read once per wake-up (up to
// the arena's free space). A read that fills less than asked for means the
// socket is empty, so no extra read(2) to see EAGAIN is needed, and a
// socket with more waiting is simply reported again on the next wake-up,
// which keeps one busy client from starving the others.
//
// Events are written into an Int32Array shared with JavaScript, six ints per
// event: [type, id, a, b, c, 0]. See the EV_ constants.

#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

namespace {

enum EventType : int32_t {
  EV_ACCEPT = 1,        // id: new connection, a: listener id, b: address offset in arena, c: address length; port in slot 5
  EV_DATA = 2,          // id, a: offset in arena, b: length
  EV_EOF = 3,           // id: the peer will send nothing more
  EV_ERROR = 4,         // id, a: errno; the socket is closed (EV_CLOSED follows)
  EV_CLOSED = 5,        // id: the socket is closed; the id is free after this batch
  EV_DRAINED = 6,       // id: everything written has gone to the kernel
  EV_ACCEPT_ERROR = 7,  // id: listener id, a: errno
};
constexpr int kRecord = 6;
constexpr size_t kMinRead = 16 * 1024;  // below this much free arena, deliver first
constexpr size_t kMaxRead = 64 * 1024;  // at most this much per socket per wake-up
constexpr int kEpollBatch = 512;
constexpr int kAcceptsPerWake = 256;

struct Conn {
  int fd = -1;
  bool listener = false;
  bool readEof = false;       // the peer sent FIN (or we stopped reading)
  bool wantShutdown = false;  // end(): shut down writing once the output is drained
  bool shutDown = false;      // shutdown(SHUT_WR) done
  bool outArmed = false;      // EPOLLOUT in the interest set
  char* out = nullptr;        // bytes the kernel has not taken: out[outOff, outLen)
  size_t outOff = 0;
  size_t outLen = 0;
  size_t outCap = 0;
};

struct State {
  napi_env env = nullptr;
  int ep = -1;
  int reserveFd = -1;  // kept open to accept-and-close when out of descriptors
  uv_poll_t poll;
  uv_timer_t soon;     // delivers events raised outside a wake-up (destroy, write errors)
  uv_timer_t retry;    // puts back listeners paused after an accept error
  std::vector<int32_t> pausedListeners;
  bool soonArmed = false;
  int handlesOpen = 0;
  bool refed = true;
  napi_ref callback = nullptr;
  napi_ref eventsRef = nullptr;
  napi_ref arenaRef = nullptr;
  napi_async_context async = nullptr;
  int32_t* events = nullptr;
  size_t eventsCap = 0;  // records
  size_t nEvents = 0;
  uint8_t* arena = nullptr;
  size_t arenaCap = 0;
  size_t arenaPos = 0;
  std::vector<Conn*> conns;
  std::vector<int32_t> freeIds;
  // Ids whose EV_CLOSED JavaScript has seen (or closed listeners): free at the
  // start of the next wake-up, when no epoll report naming them is in flight.
  std::vector<int32_t> closedIds;
  size_t live = 0;                 // open descriptors (listeners and connections)
  // True while a wake-up reads sockets: events go straight into the shared
  // array. Otherwise (JavaScript called write, end or destroy, perhaps while
  // it is still reading a batch) they wait in `deferred` for the next delivery.
  bool reading = false;
  bool inWake = false;
  std::vector<int32_t> deferred;
};

void Deliver(State* s);

void UpdateRef(State* s) {
  bool want = s->live > 0;
  if (want == s->refed) return;
  s->refed = want;
  // Only the watcher: an armed `soon` timer must still deliver the last
  // EV_CLOSED (an unarmed timer keeps nothing alive anyway).
  if (want) uv_ref(reinterpret_cast<uv_handle_t*>(&s->poll));
  else uv_unref(reinterpret_cast<uv_handle_t*>(&s->poll));
}

int32_t AllocId(State* s, Conn* c) {
  if (!s->freeIds.empty()) {
    int32_t id = s->freeIds.back();
    s->freeIds.pop_back();
    s->conns[id] = c;
    return id;
  }
  s->conns.push_back(c);
  return static_cast<int32_t>(s->conns.size() - 1);
}

Conn* Get(State* s, int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= s->conns.size()) return nullptr;
  return s->conns[id];
}

void SoonCallback(uv_timer_t* t);

void ArmSoon(State* s) {
  if (s->soonArmed || s->inWake) return;  // a running wake-up delivers at its end
  s->soonArmed = true;
  uv_timer_start(&s->soon, SoonCallback, 0, 0);
}

// Room for one more event in the shared array (reading phase only); delivers the batch first when full.
int32_t* Push(State* s) {
  if (s->nEvents == s->eventsCap) Deliver(s);
  int32_t* r = s->events + s->nEvents * kRecord;
  s->nEvents++;
  r[5] = 0;
  return r;
}

void PushSimple(State* s, EventType type, int32_t id, int32_t a = 0) {
  if (!s->reading) {
    int32_t rec[kRecord] = {type, id, a, 0, 0, 0};
    s->deferred.insert(s->deferred.end(), rec, rec + kRecord);
    ArmSoon(s);
    return;
  }
  int32_t* r = Push(s);
  r[0] = type;
  r[1] = id;
  r[2] = a;
  r[3] = 0;
  r[4] = 0;
}

// Deliver what JavaScript's own calls raised; what it does in answer may raise more.
void DeliverDeferred(State* s) {
  for (int guard = 0; guard < 64 && !s->deferred.empty(); guard++) {
    std::vector<int32_t> batch;
    batch.swap(s->deferred);
    size_t records = batch.size() / kRecord;
    for (size_t k = 0; k < records;) {
      size_t n = records - k < s->eventsCap ? records - k : s->eventsCap;
      memcpy(s->events, batch.data() + k * kRecord, n * kRecord * sizeof(int32_t));
      s->nEvents = n;
      Deliver(s);
      k += n;
    }
  }
}

void SetInterest(State* s, int32_t id, Conn* c) {
  epoll_event ev;
  ev.events = (c->readEof ? 0u : static_cast<uint32_t>(EPOLLIN | EPOLLRDHUP)) | (c->outArmed ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = static_cast<uint64_t>(id);
  epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

// Close the descriptor now; JavaScript hears EV_CLOSED (after EV_ERROR when err != 0).
void CloseConn(State* s, int32_t id, Conn* c, int err) {
  epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  free(c->out);
  s->conns[id] = nullptr;
  delete c;
  s->live--;
  if (err != 0) PushSimple(s, EV_ERROR, id, err);
  // The id is free only once JavaScript has seen this EV_CLOSED (Deliver).
  PushSimple(s, EV_CLOSED, id);
  UpdateRef(s);
}

void MaybeFinish(State* s, int32_t id, Conn* c) {
  if (c->wantShutdown && !c->shutDown && c->outLen == c->outOff) {
    shutdown(c->fd, SHUT_WR);
    c->shutDown = true;
  }
  // Both directions done: nothing more can happen on this socket.
  if (c->shutDown && c->readEof) CloseConn(s, id, c, 0);
}

bool Reserve(Conn* c, size_t extra) {
  size_t need = c->outLen + extra;
  if (need <= c->outCap) return true;
  // Compact first: what was written is at the front.
  if (c->outOff > 0) {
    memmove(c->out, c->out + c->outOff, c->outLen - c->outOff);
    c->outLen -= c->outOff;
    c->outOff = 0;
    need = c->outLen + extra;
    if (need <= c->outCap) return true;
  }
  size_t cap = c->outCap < 4096 ? 4096 : c->outCap;
  while (cap < need) cap *= 2;
  char* grown = static_cast<char*>(realloc(c->out, cap));
  if (grown == nullptr) return false;
  c->out = grown;
  c->outCap = cap;
  return true;
}

// Write what is queued here; on EPOLLOUT or after more was appended.
// Returns 0, or an errno for a failed socket.
int FlushOut(State* s, int32_t id, Conn* c) {
  while (c->outOff < c->outLen) {
    ssize_t n = write(c->fd, c->out + c->outOff, c->outLen - c->outOff);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return errno;
    }
    c->outOff += static_cast<size_t>(n);
  }
  if (c->outOff == c->outLen) {
    c->outOff = c->outLen = 0;
    // Given back at once: a backlog is rare, and an idle client holds no buffer.
    free(c->out);
    c->out = nullptr;
    c->outCap = 0;
    if (c->outArmed) {
      c->outArmed = false;
      SetInterest(s, id, c);
      PushSimple(s, EV_DRAINED, id);
    }
  } else if (!c->outArmed) {
    c->outArmed = true;
    SetInterest(s, id, c);
  }
  return 0;
}

void RetryCallback(uv_timer_t* t);

void PauseListener(State* s, int32_t lid, Conn* l) {
  epoll_ctl(s->ep, EPOLL_CTL_DEL, l->fd, nullptr);
  s->pausedListeners.push_back(lid);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&s->retry))) uv_timer_start(&s->retry, RetryCallback, 250, 0);
}

void RetryCallback(uv_timer_t* t) {
  State* s = static_cast<State*>(t->data);
  for (int32_t lid : s->pausedListeners) {
    Conn* l = Get(s, lid);
    if (l == nullptr || !l->listener) continue;  // closed meanwhile
    epoll_event ev;
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(lid);
    epoll_ctl(s->ep, EPOLL_CTL_ADD, l->fd, &ev);
  }
  s->pausedListeners.clear();
}

// Room for `records` more events and `bytes` more arena, delivering the
// batch first if needed. JavaScript may close sockets while it runs, so the
// caller looks its connection up again when this returns true.
bool MakeRoom(State* s, size_t records, size_t bytes) {
  if (s->nEvents + records <= s->eventsCap && s->arenaCap - s->arenaPos >= bytes) return false;
  Deliver(s);
  return true;
}

void Accept(State* s, int32_t lid, Conn* l) {
  for (int k = 0; k < kAcceptsPerWake; k++) {
    if (MakeRoom(s, 2, INET6_ADDRSTRLEN) && Get(s, lid) != l) return;
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(l->fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED) continue;
      PushSimple(s, EV_ACCEPT_ERROR, lid, err);
      if ((err == EMFILE || err == ENFILE) && s->reserveFd >= 0) {
        // Out of descriptors: with the spare one, accept and close everything
        // waiting (as libuv does), so the listener does not stay ready for ever.
        close(s->reserveFd);
        s->reserveFd = -1;
        for (int n = 0; n < 65536; n++) {
          int victim = accept(l->fd, nullptr, nullptr);
          if (victim < 0) break;
          close(victim);
        }
        s->reserveFd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return;
      }
      // Anything else (ENOBUFS, ENOMEM, no spare descriptor): stop watching
      // this listener for a moment rather than spin on it.
      PauseListener(s, lid, l);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Conn* c = new Conn();
    c->fd = fd;
    int32_t id = AllocId(s, c);
    epoll_event ev;
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = static_cast<uint64_t>(id);
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      delete c;
      s->conns[id] = nullptr;
      s->freeIds.push_back(id);
      continue;
    }
    s->live++;
    UpdateRef(s);
    char text[INET6_ADDRSTRLEN];
    int port = 0;
    text[0] = 0;
    if (ss.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      port = ntohs(a->sin6_port);
    }
    size_t tlen = strlen(text);
    memcpy(s->arena + s->arenaPos, text, tlen);
    int32_t* r = Push(s);
    r[0] = EV_ACCEPT;
    r[1] = id;
    r[2] = lid;
    r[3] = static_cast<int32_t>(s->arenaPos);
    r[4] = static_cast<int32_t>(tlen);
    r[5] = port;
    s->arenaPos += tlen;
  }
}

void Readable(State* s, int32_t id, Conn* c, uint32_t flags) {
  if (c->readEof) {
    // Not reading any more: only a failure or the end of both directions is news.
    if (flags & (EPOLLERR | EPOLLHUP)) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      CloseConn(s, id, c, err != 0 ? err : EPIPE);
    }
    return;
  }
  size_t room = s->arenaCap - s->arenaPos;
  if (room > kMaxRead) room = kMaxRead;
  ssize_t n;
  do {
    n = read(c->fd, s->arena + s->arenaPos, room);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int32_t* r = Push(s);
    r[0] = EV_DATA;
    r[1] = id;
    r[2] = static_cast<int32_t>(s->arenaPos);
    r[3] = static_cast<int32_t>(n);
    r[4] = 0;
    s->arenaPos += static_cast<size_t>(n);
    return;
  }
  if (n == 0) {
    c->readEof = true;
    SetInterest(s, id, c);
    PushSimple(s, EV_EOF, id);
    // Already ended by us: both directions are done. Otherwise JavaScript
    // answers the EOF (end() or destroy()) when it reads it.
    MaybeFinish(s, id, c);
    return;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return;
  CloseConn(s, id, c, errno);
}

void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  State* s = static_cast<State*>(handle->data);
  if (status < 0) return;
  s->inWake = true;
  // What JavaScript's own calls raised before this wake-up goes first (an
  // EV_CLOSED must reach it before its id can name a new connection).
  DeliverDeferred(s);
  // Ids whose EV_CLOSED JavaScript has seen are safe to hand out again now:
  // no epoll report naming them is in flight.
  for (int32_t id : s->closedIds) s->freeIds.push_back(id);
  s->closedIds.clear();
  s->reading = true;
  epoll_event evs[kEpollBatch];
  for (int round = 0; round < 4; round++) {
    int n = epoll_wait(s->ep, evs, kEpollBatch, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      int32_t id = static_cast<int32_t>(evs[i].data.u64);
      Conn* c = Get(s, id);
      if (c == nullptr) continue;  // closed earlier in this wake-up
      uint32_t flags = evs[i].events;
      if (c->listener) {
        Accept(s, id, c);
        continue;
      }
      // Room for this socket's events and a read: nothing below delivers.
      if (MakeRoom(s, 4, kMinRead) && Get(s, id) != c) continue;
      if (flags & EPOLLOUT) {
        int err = FlushOut(s, id, c);
        if (err != 0) {
          CloseConn(s, id, c, err);
          continue;
        }
        MaybeFinish(s, id, c);
        if (Get(s, id) != c) continue;
      }
      if (flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) Readable(s, id, c, flags);
    }
    if (n < kEpollBatch) break;
  }
  Deliver(s);
  s->reading = false;
  DeliverDeferred(s);
  s->inWake = false;
  if (!s->deferred.empty()) ArmSoon(s);
}

void SoonCallback(uv_timer_t* t) {
  State* s = static_cast<State*>(t->data);
  s->soonArmed = false;
  s->inWake = true;
  DeliverDeferred(s);
  s->inWake = false;
  if (!s->deferred.empty()) ArmSoon(s);
}

// Hand the batch to JavaScript: callback(count). The arena and the events
// array are reused afterwards, so JavaScript copies what it keeps.
void Deliver(State* s) {
  size_t count = s->nEvents;
  if (count == 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (s->callback == nullptr || napi_open_handle_scope(env, &scope) != napi_ok) {
    // The environment is going away: the events are dropped, the batch is reset.
    s->nEvents = 0;
    s->arenaPos = 0;
    return;
  }
  napi_value cb, recv, arg, result;
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_global(env, &recv);  // MakeCallback wants an object receiver
  napi_create_uint32(env, static_cast<uint32_t>(count), &arg);
  // JavaScript's own calls while it runs (write, end, destroy) go to the
  // deferred list, never into the array it is reading.
  bool wasReading = s->reading;
  s->reading = false;
  napi_status st = napi_make_callback(env, s->async, recv, cb, 1, &arg, &result);
  s->reading = wasReading;
  // JavaScript has now seen these EV_CLOSED: their ids may be reused (next wake-up).
  for (size_t k = 0; k < count; k++) {
    if (s->events[k * kRecord] == EV_CLOSED) s->closedIds.push_back(s->events[k * kRecord + 1]);
  }
  s->nEvents = 0;
  s->arenaPos = 0;
  if (st == napi_pending_exception) {
    napi_value err;
    napi_valuetype type = napi_undefined;
    // A terminating environment reports a pending exception with none set.
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok && napi_typeof(env, err, &type) == napi_ok && type != napi_undefined) {
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

// ---- JavaScript API ----

State* StateOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<State*>(data);
}

napi_value Throw(napi_env env, int err, const char* what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_int32(env, err, &code);
  napi_create_error(env, nullptr, message, &error);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return nullptr;
}

int32_t ArgInt(napi_env env, napi_value v) {
  int32_t out = -1;
  napi_get_value_int32(env, v, &out);
  return out;
}

// The first argument, a connection or listener id (-1 when missing).
int32_t IdArg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc < 1 ? -1 : ArgInt(env, argv[0]);
}

napi_value Int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

// init(callback, events: Int32Array, arena: Buffer)
napi_value Init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  State* s = StateOf(env);
  if (s == nullptr || argc < 3) return nullptr;
  if (s->callback != nullptr) {
    napi_throw_error(env, nullptr, "the native transport is already initialised");
    return nullptr;
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &offset) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, nullptr, "events must be an Int32Array");
    return nullptr;
  }
  s->events = static_cast<int32_t*>(data);
  s->eventsCap = length / kRecord;
  size_t alen;
  void* adata;
  if (napi_get_buffer_info(env, argv[2], &adata, &alen) != napi_ok || alen < kMaxRead * 2) {
    napi_throw_type_error(env, nullptr, "arena must be a Buffer of at least 128 KiB");
    return nullptr;
  }
  s->arena = static_cast<uint8_t*>(adata);
  s->arenaCap = alen;
  napi_create_reference(env, argv[0], 1, &s->callback);
  napi_create_reference(env, argv[1], 1, &s->eventsRef);
  napi_create_reference(env, argv[2], 1, &s->arenaRef);
  napi_value name;
  napi_create_string_utf8(env, "obrol.native", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &s->async);
  return nullptr;
}

// listen(ip, port, backlog) -> listener id
napi_value Listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  State* s = StateOf(env);
  char ip[64] = {0};
  size_t iplen;
  napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &iplen);
  int port = ArgInt(env, argv[1]);
  int backlog = ArgInt(env, argv[2]);
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  int family;
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    family = AF_INET;
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    family = AF_INET6;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *a6;
  } else {
    return Throw(env, EINVAL, "not an IP address");
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Throw(env, errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) {
    int zero = 0;  // dual stack, as Node does for "::"
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return Throw(env, err, "listen");
  }
  Conn* c = new Conn();
  c->fd = fd;
  c->listener = true;
  int32_t id = AllocId(s, c);
  epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<uint64_t>(id);
  if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    delete c;
    s->conns[id] = nullptr;
    s->freeIds.push_back(id);
    return Throw(env, err, "epoll_ctl");
  }
  s->live++;
  UpdateRef(s);
  return Int(env, id);
}

// localPort(id) -> the bound port (for port 0)
napi_value LocalPort(napi_env env, napi_callback_info info) {
  Conn* c = Get(StateOf(env), IdArg(env, info));
  if (c == nullptr) return Int(env, -1);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(c->fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return Int(env, -1);
  if (ss.ss_family == AF_INET) return Int(env, ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port));
  return Int(env, ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port));
}

// closeListener(id): stop accepting (connections it accepted stay).
napi_value CloseListener(napi_env env, napi_callback_info info) {
  State* s = StateOf(env);
  int32_t id = IdArg(env, info);
  Conn* c = Get(s, id);
  if (c == nullptr || !c->listener) return nullptr;
  epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  delete c;
  s->conns[id] = nullptr;
  s->closedIds.push_back(id);
  s->live--;
  UpdateRef(s);
  return nullptr;
}

// write(id, buffer) -> bytes still queued here (0: all in the kernel), -1: closed or ended
napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  State* s = StateOf(env);
  void* data;
  size_t len;
  // Checked before the connection is looked up: nothing below runs JavaScript.
  if (argc < 2 || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "write takes an id and a Buffer");
    return nullptr;
  }
  int32_t id = ArgInt(env, argv[0]);
  Conn* c = Get(s, id);
  if (c == nullptr || c->listener || c->wantShutdown || c->shutDown) return Int(env, -1);
  size_t written = 0;
  if (c->outLen == c->outOff) {
    ssize_t w;
    do {
      w = write(c->fd, data, len);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // The peer is gone: reported from the event loop, as a stream would.
        CloseConn(s, id, c, errno);
        return Int(env, -1);
      }
      w = 0;
    }
    written = static_cast<size_t>(w);
  }
  if (written < len) {
    // Keep the rest, in order behind what already waits; EPOLLOUT writes it.
    if (!Reserve(c, len - written)) {
      CloseConn(s, id, c, ENOMEM);
      return Int(env, -1);
    }
    memcpy(c->out + c->outLen, static_cast<char*>(data) + written, len - written);
    c->outLen += len - written;
    if (!c->outArmed) {
      c->outArmed = true;
      SetInterest(s, id, c);
    }
  }
  return Int(env, static_cast<int64_t>(c->outLen - c->outOff));
}

// pending(id) -> bytes queued here
napi_value Pending(napi_env env, napi_callback_info info) {
  Conn* c = Get(StateOf(env), IdArg(env, info));
  return Int(env, c == nullptr ? 0 : static_cast<int64_t>(c->outLen - c->outOff));
}

// end(id): shut down writing once the output is out; closed when the peer closes too.
napi_value End(napi_env env, napi_callback_info info) {
  State* s = StateOf(env);
  int32_t id = IdArg(env, info);
  Conn* c = Get(s, id);
  if (c == nullptr || c->listener) return nullptr;
  c->wantShutdown = true;
  MaybeFinish(s, id, c);
  return nullptr;
}

// destroy(id): close now, dropping unwritten output.
napi_value Destroy(napi_env env, napi_callback_info info) {
  State* s = StateOf(env);
  int32_t id = IdArg(env, info);
  Conn* c = Get(s, id);
  if (c == nullptr || c->listener) return nullptr;
  CloseConn(s, id, c, 0);
  return nullptr;
}

// stats() -> [open descriptors, bytes queued in all output buffers, output buffer capacity]
napi_value Stats(napi_env env, napi_callback_info /*info*/) {
  State* s = StateOf(env);
  size_t queued = 0, cap = 0;
  for (Conn* c : s->conns) {
    if (c == nullptr) continue;
    queued += c->outLen - c->outOff;
    cap += c->outCap;
  }
  napi_value arr;
  napi_create_array_with_length(env, 3, &arr);
  napi_set_element(env, arr, 0, Int(env, static_cast<int64_t>(s->live)));
  napi_set_element(env, arr, 1, Int(env, static_cast<int64_t>(queued)));
  napi_set_element(env, arr, 2, Int(env, static_cast<int64_t>(cap)));
  return arr;
}

void OnHandleClosed(uv_handle_t* h) {
  State* s = static_cast<State*>(h->data);
  // Three handles share the State: the last close frees it (and the epoll set,
  // which the poll handle watched until now).
  if (--s->handlesOpen > 0) return;
  if (s->ep >= 0) close(s->ep);
  delete s;
}

void Cleanup(void* arg) {
  State* s = static_cast<State*>(arg);
  for (Conn* c : s->conns) {
    if (c == nullptr) continue;
    close(c->fd);
    free(c->out);
    delete c;
  }
  s->conns.clear();
  if (s->reserveFd >= 0) close(s->reserveFd);
  s->reserveFd = -1;
  s->callback = nullptr;  // references die with the environment
  s->async = nullptr;
  uv_timer_stop(&s->soon);
  uv_timer_stop(&s->retry);
  s->soonArmed = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->soon), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->retry), OnHandleClosed);
}

napi_value Fn(napi_env env, napi_callback cb) {
  napi_value f;
  napi_create_function(env, nullptr, 0, cb, nullptr, &f);
  return f;
}

napi_value ModuleInit(napi_env env, napi_value exports) {
  State* s = new State();
  s->env = env;
  s->ep = epoll_create1(EPOLL_CLOEXEC);
  if (s->ep < 0) {
    delete s;
    return Throw(env, errno, "epoll_create1");
  }
  s->reserveFd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &s->poll, s->ep);
  s->poll.data = s;
  uv_timer_init(loop, &s->soon);
  s->soon.data = s;
  uv_timer_init(loop, &s->retry);
  s->retry.data = s;
  uv_unref(reinterpret_cast<uv_handle_t*>(&s->retry));  // a paused listener alone does not keep the process alive
  uv_poll_start(&s->poll, UV_READABLE, OnPoll);
  s->handlesOpen = 3;
  s->live = 0;
  s->refed = true;
  UpdateRef(s);  // nothing open yet: do not keep the process alive
  napi_set_instance_data(env, s, nullptr, nullptr);
  napi_add_env_cleanup_hook(env, Cleanup, s);
  struct {
    const char* name;
    napi_callback cb;
  } fns[] = {
      {"init", Init},       {"listen", Listen},   {"localPort", LocalPort}, {"closeListener", CloseListener},
      {"write", Write},     {"pending", Pending}, {"end", End},             {"destroy", Destroy},
      {"stats", Stats},
  };
  for (auto& f : fns) napi_set_named_property(env, exports, f.name, Fn(env, f.cb));
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return ModuleInit(env, exports); }
