/**
 * The command launcher's program in C (`compiled_launcher.ts` compiles it where the machine has a
 * C compiler): the protocol of the Perl program in `launcher_script.ts`, byte for byte, with
 * `posix_spawn` where Perl forks. glibc's `posix_spawn` is a vfork: the child borrows the
 * launcher's memory until it execs instead of copying its page tables and faulting in what it
 * touches. The launcher and its children then cost ≈1.1 ms of CPU per `/bin/true` against ≈3 ms
 * through Perl, and Node starts 2.2× the commands per second (bench/commands.ts, two cores).
 *
 * What differs from the Perl program, and why it does not show: a command's CPU time comes from
 * `wait4`'s own figure for it (the Perl program takes the growth of its children's `times`); a
 * program without a `#!` line is run by `/bin/sh`, as `execvp` and the runtimes' own spawns do,
 * which `posix_spawnp` no longer does itself; and the launcher enters a command's working
 * directory itself around the spawn (the Perl program's child does, after its fork).
 * Arguments: `--version` prints the version line (`compiled_launcher.ts` checks it before use).
 *
 * @module
 */

/** The first line the program prints for `--version`; a different one is an older build. */
export const LAUNCHER_C_VERSION = "asyncflow-launcher 1";

/** The launcher's C source. */
export const LAUNCHER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A command: its id, pid (0: a free slot), stdout and stderr (-1 once ended), reaped or not. */
typedef struct { char *id; pid_t pid; int fd[2]; int reaped; } Kid;

static Kid *kids;
static size_t nkids, kids_cap;
static char *out, *in;
static size_t out_len, out_cap, in_len, in_cap;
static int wake[2];       /* SIGCHLD writes a byte here, so poll wakes */
static char **own_env;    /* the launcher's own environment */
static char *env_now;     /* the block environ holds since a request set it; NULL: own_env */
static size_t env_now_len;
static char **env_vec;

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return p;
  size_t n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  if (!(p = realloc(p, n * size))) _exit(1);
  *cap = n;
  return p;
}

/* Reports wait in out and go in one write per turn of the loop, before it waits again. */
static void flush(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t w = write(1, out + off, out_len - off);
    if (w >= 0) { off += (size_t)w; continue; }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) { struct pollfd p = {1, POLLOUT, 0}; poll(&p, 1, -1); continue; }
    _exit(1); /* the runtime is gone */
  }
  out_len = 0;
}

static void report(char type, const char *id, const char *data, size_t len) {
  char head[64];
  int n = snprintf(head, sizeof head, "%c %s %zu\n", type, id, len);
  out = grow(out, &out_cap, out_len + n + len, 1);
  memcpy(out + out_len, head, n);
  memcpy(out + out_len + n, data, len);
  out_len += n + len;
  if (out_len > 65536) flush();
}

static void report_text(char type, const char *id, const char *text) {
  report(type, id, text, strlen(text));
}

static void finish(Kid *k) {
  if (k->fd[0] >= 0 || k->fd[1] >= 0 || !k->reaped) return;
  report('X', k->id, "", 0);
  free(k->id);
  k->pid = 0;
}

static void on_chld(int sig) {
  int e = errno;
  (void)sig;
  (void)!write(wake[1], "", 1);
  errno = e;
}

static int cloexec_pipe(int p[2]) {
  if (pipe(p)) return -1;
  fcntl(p[0], F_SETFD, FD_CLOEXEC);
  fcntl(p[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

/* A command's environment is environ, set only when a request asks for another one than the
 * last did (most ask for the same). */
static void use_env(const char *block, size_t len, long envc) {
  if (!block) {
    if (env_now) { environ = own_env; free(env_now); env_now = NULL; }
    return;
  }
  if (env_now && env_now_len == len && memcmp(env_now, block, len) == 0) return;
  free(env_now);
  free(env_vec);
  if (!(env_now = malloc(len + 1)) || !(env_vec = calloc(envc + 1, sizeof *env_vec))) _exit(1);
  memcpy(env_now, block, len);
  env_now[len] = 0;
  env_now_len = len;
  char *p = env_now;
  for (long i = 0; i < envc; i++) { env_vec[i] = p; p += strlen(p) + 1; }
  environ = env_vec;
}

static void failed(const char *id, char step, int err) {
  char text[32];
  snprintf(text, sizeof text, "%c%d", step, err);
  report_text('W', id, "0");
  report_text('X', id, text);
}

/* Where a name without a slash is found on the PATH, as execvp looks (into buf), or NULL. */
static const char *on_path(const char *name, char *buf) {
  if (strchr(name, '/')) return name;
  const char *path = getenv("PATH");
  if (!path) path = "/bin:/usr/bin";
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t dir = end ? (size_t)(end - p) : strlen(p);
    if (snprintf(buf, PATH_MAX, "%.*s%s%s", (int)dir, p, dir ? "/" : "", name) < PATH_MAX &&
        access(buf, X_OK) == 0)
      return buf;
    if (!end) return NULL;
    p = end;
  }
}

static void start(char *payload, size_t len) {
  size_t nf = 1;
  for (size_t i = 0; i < len; i++) nf += payload[i] == 0;
  char **f = malloc((nf + 1) * sizeof *f), **argv = NULL;
  if (!f) _exit(1);
  payload[len] = 0;
  char *p = payload;
  for (size_t i = 0; i < nf; i++) { f[i] = p; p += strlen(p) + 1; }
  size_t at = 0;
  const char *id = f[at++], *cwd = f[at++];
  long argc = atol(f[at++]);
  if (argc < 1 || at + argc >= nf) goto done;
  /* One slot before argv[0]: /bin/sh, for a program without a #! line. */
  if (!(argv = calloc(argc + 2, sizeof *argv))) _exit(1);
  for (long i = 0; i < argc; i++) argv[i + 1] = f[at++];
  long envc = atol(f[at++]);
  if (envc > 0 && at + envc <= nf) {
    const char *last = f[at + envc - 1];
    use_env(f[at], (size_t)(last + strlen(last) - f[at]), envc);
  } else if (envc == 0) use_env("", 0, 0);
  else use_env(NULL, 0, 0);

  /* The working directory is entered here, for the spawn, and left again after it: the launcher
   * is one thread, a failure is then known to be the directory's, and no glibc after 2.29 is
   * needed (posix_spawn_file_actions_addchdir_np; RHEL 8 has 2.28). */
  int home = -1;
  if (*cwd) {
#ifdef O_PATH
    home = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
#else
    home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    if (home < 0 || chdir(cwd)) {
      int err = errno;
      if (home >= 0) close(home);
      failed(id, 'c', err);
      goto done;
    }
  }
  int o[2], e[2];
  if (cloexec_pipe(o)) { failed(id, 'e', errno); goto back; }
  if (cloexec_pipe(e)) { int err = errno; close(o[0]); close(o[1]); failed(id, 'e', err); goto back; }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
#if defined(__GLIBC__) && defined(__linux__)
  /* glibc keeps its two internal signals (32 and 33) out of a full set, and posix_spawn then
   * leaves them ignored in the command, where no direct spawn does: their bits are set by hand. */
  all.__val[0] |= 3UL << 31;
#endif
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o[1], 1);
  posix_spawn_file_actions_adddup2(&fa, e[1], 2);
  posix_spawnattr_init(&attr);
  /* It starts as a direct spawn does: every signal at its default and none blocked (the
   * launcher ignores SIGTERM, SIGINT, SIGHUP and SIGPIPE, which an exec would pass on); its own
   * session, so its process group can be killed. glibc blocks every signal across the spawn,
   * so one sent before the command is set up waits for it rather than being ignored. */
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int err = posix_spawnp(&pid, argv[1], &fa, &attr, argv + 1, environ);
  if (err == ENOEXEC) {
    char buf[PATH_MAX];
    const char *file = on_path(argv[1], buf);
    if (file) {
      argv[0] = "/bin/sh";
      argv[1] = (char *)file;
      err = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
    }
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(o[1]);
  close(e[1]);
  if (err) {
    close(o[0]);
    close(e[0]);
    failed(id, 'e', err);
    goto back;
  }
  char text[32];
  snprintf(text, sizeof text, "%ld", (long)pid);
  report_text('P', id, text);
  /* At once: were the launcher killed now, the runtime kills what it knows the pid of. */
  flush();
  size_t slot = 0;
  while (slot < nkids && kids[slot].pid) slot++;
  if (slot == nkids) kids = grow(kids, &kids_cap, ++nkids, sizeof *kids);
  char *own_id = strdup(id);
  if (!own_id) _exit(1);
  kids[slot] = (Kid){own_id, pid, {o[0], e[0]}, 0};
back:
  if (home >= 0 && (fchdir(home) || close(home))) _exit(1); /* cannot go back: start again */
done:
  free(argv);
  free(f);
}

/* Its raw wait status and, after a space, its CPU time in ms, user and system, with the
 * children it waited for: the kernel's own figure, which no read of /proc can give once the
 * command is reaped. */
static void reap(void) {
  int status;
  struct rusage ru;
  pid_t p;
  while ((p = wait4(-1, &status, WNOHANG, &ru)) > 0) {
    for (size_t i = 0; i < nkids; i++) {
      Kid *k = &kids[i];
      if (k->pid != p || k->reaped) continue;
      long us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
                ru.ru_stime.tv_usec;
      char text[64];
      snprintf(text, sizeof text, "%d %ld", status, (us + 500) / 1000);
      k->reaped = 1;
      report_text('W', k->id, text);
      finish(k);
      break;
    }
  }
}

/* Parses the requests that are whole in the input, <bytes>\n<payload>, and starts each. */
static void take_requests(void) {
  size_t off = 0;
  for (;;) {
    char *nl = memchr(in + off, '\n', in_len - off);
    if (!nl) break;
    size_t at = (size_t)(nl - in) + 1, len = strtoul(in + off, NULL, 10);
    if (in_len - at < len) break;
    char next = in[at + len]; /* start ends the payload with a NUL */
    start(in + at, len);
    in[at + len] = next;
    off = at + len;
  }
  memmove(in, in + off, in_len - off);
  in_len -= off;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) { puts("${LAUNCHER_C_VERSION}"); return 0; }
  own_env = environ;
  /* Its name in ps and /proc/<pid>/cmdline is asyncflow-launcher, as the Perl launcher's is. */
  const char *name = "asyncflow-launcher";
  size_t room = strlen(argv[0]);
  if (room >= strlen(name)) { memset(argv[0], 0, room); memcpy(argv[0], name, strlen(name)); }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  /* A signal to the runtime's whole group or job (Ctrl-C, Slurm's SIGTERM at a job's end) is
   * for the runtime and the commands to act on: the launcher ends only when its stdin closes. */
  sa.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &sa, 0);
  sigaction(SIGINT, &sa, 0);
  sigaction(SIGHUP, &sa, 0);
  sigaction(SIGPIPE, &sa, 0);
  if (cloexec_pipe(wake)) return 1;
  fcntl(wake[0], F_SETFL, O_NONBLOCK);
  fcntl(wake[1], F_SETFL, O_NONBLOCK);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  struct pollfd *fds = NULL;
  size_t *fd_of = NULL, fds_cap = 0, fd_of_cap = 0;
  for (;;) {
    reap();
    flush();
    size_t n = 0;
    fds = grow(fds, &fds_cap, 2 + 2 * nkids, sizeof *fds);
    fd_of = grow(fd_of, &fd_of_cap, 2 + 2 * nkids, sizeof *fd_of);
    fds[n++] = (struct pollfd){0, POLLIN, 0};
    fds[n++] = (struct pollfd){wake[0], POLLIN, 0};
    for (size_t i = 0; i < nkids; i++) {
      for (int s = 0; s < 2; s++) {
        if (!kids[i].pid || kids[i].fd[s] < 0) continue;
        fd_of[n] = i * 2 + s;
        fds[n++] = (struct pollfd){kids[i].fd[s], POLLIN, 0};
      }
    }
    if (poll(fds, n, -1) < 0) { if (errno == EINTR) continue; return 1; }
    if (fds[1].revents) { char b[256]; while (read(wake[0], b, sizeof b) > 0) {} }
    for (size_t j = 2; j < n; j++) {
      if (!fds[j].revents) continue;
      Kid *k = &kids[fd_of[j] / 2];
      int s = fd_of[j] % 2;
      char buf[65536];
      ssize_t r = read(k->fd[s], buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r > 0) { report(s ? '2' : '1', k->id, buf, (size_t)r); continue; }
      close(k->fd[s]);
      k->fd[s] = -1;
      report_text('E', k->id, s ? "2" : "1");
      finish(k);
    }
    if (fds[0].revents) {
      in = grow(in, &in_cap, in_len + 65537, 1);
      ssize_t r = read(0, in + in_len, 65536);
      if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue; return 1; }
      if (r == 0) { reap(); flush(); return 0; }
      in_len += (size_t)r;
      take_requests();
    }
  }
}
`;
