/**
 * The program of the command launcher (`launcher.ts`), in Perl: a language every Linux and macOS
 * machine carries (`perl-base` is essential on Debian) whose small process forks as cheaply as C
 * does, where Node forks its whole runtime for every command (≈1.8 ms of a blocked event loop
 * each, ≈540 `/bin/true` per second on two cores) and Deno forks it too to start a new session.
 *
 * Requests arrive on stdin as `<bytes>\n<payload>`, the payload NUL-separated fields: id, cwd
 * (empty: the launcher's), argc, argv…, envc (-1: the launcher's), `NAME=value`…. Each command is
 * forked, leads a new session (so its process group can be killed), has stdin from /dev/null and
 * stdout and stderr on pipes of its own, and execs its program (a name without a slash is looked
 * up on the PATH of its environment). Reports go to stdout as `<type> <id> <bytes>\n<data>`:
 * `P` its pid, `1`/`2` bytes it wrote on stdout/stderr, `E` the end of stream 1 or 2, `W` its raw
 * wait status once reaped and, after a space, the CPU time in ms, user and system, of it and the
 * children it waited for (the growth of the launcher's children's `times` at that reap: the
 * kernel's own figure, which no read of `/proc` can give once the command is reaped), then `X`
 * when all of them are in, with nothing or, when it could not
 * start, `c<errno>` (no such working directory) or `e<errno>` (exec failed). The launcher ends
 * when stdin closes, and only then: it ignores SIGTERM, SIGINT and SIGHUP, which reach it with the
 * runtime's process group or Slurm job step, so that the runtime decides what becomes of the
 * commands. What it started runs on after it, as a detached child of this runtime would.
 *
 * @module
 */

/** The launcher's Perl source, run with `perl -e`. */
export const LAUNCHER_SCRIPT = String.raw`
use strict; use warnings; use POSIX ();
$0 = 'asyncflow-launcher';
$^F = 2; # every descriptor the launcher opens is closed on exec: commands get 0-2 only
my (%kids, %fds, $in);
my $rin = ''; vec($rin, 0, 1) = 1;
$in = '';
$SIG{CHLD} = sub {}; # wakes select; reaping is done in the loop
$SIG{PIPE} = 'IGNORE';
# A signal to the runtime's whole group or job (Ctrl-C, Slurm's SIGTERM at a job's end) is for
# the runtime and the commands to act on: the launcher ends only when the runtime goes (stdin).
$SIG{$_} = 'IGNORE' for qw(TERM INT HUP);
# They are held across each fork: one sent to a new command before it restored their defaults
# then waits for it, rather than being ignored (a kill that came before its pid was known).
my $held = POSIX::SigSet->new(POSIX::SIGTERM(), POSIX::SIGINT(), POSIX::SIGHUP());

# Reports wait in $out and go in one write per turn of the loop, before it waits again.
my $out = '';
sub flush {
  my $off = 0;
  while ($off < length $out) {
    my $w = syswrite(STDOUT, $out, length($out) - $off, $off);
    if (defined $w) { $off += $w; next; }
    next if $!{EINTR};
    if ($!{EAGAIN}) { my $wout = ''; vec($wout, fileno(STDOUT), 1) = 1; select(undef, $wout, undef, undef); next; }
    exit 1; # the runtime is gone
  }
  $out = '';
}
sub report { my ($t, $id, $data) = @_; $out .= "$t $id " . length($data) . "\n" . $data; flush() if length $out > 65536; }

sub finish {
  my ($k) = @_;
  return if $k->{open} > 0 || !defined $k->{status};
  report('X', $k->{id}, $k->{failed});
  delete $kids{$k->{pid}};
}

sub close_fd {
  my ($fd) = @_;
  my ($k, $tag) = @{delete $fds{$fd}};
  vec($rin, $fd, 1) = 0;
  close($k->{"h$tag"}); delete $k->{"h$tag"};
  report('E', $k->{id}, $tag) if $tag ne 's';
  $k->{open}--;
  finish($k);
}

# The environment a command gets is the launcher's own %ENV, which it inherits across the fork: set
# here, in the launcher, only when a command asks for another one than the last did (most ask for
# the same), rather than built again in every child before its exec.
my %own_env = %ENV;
my $env_now; # the block %ENV holds when a request set it, undefined while it is the launcher's own
sub use_env {
  my ($env) = @_;
  if (!defined $env) {
    return if !defined $env_now;
    %ENV = %own_env; $env_now = undef; return;
  }
  my $block = join("\0", @$env);
  return if defined $env_now && $block eq $env_now;
  %ENV = ();
  for (@$env) { my $i = index($_, '='); $ENV{substr($_, 0, $i)} = substr($_, $i + 1); }
  $env_now = $block;
}

sub start {
  my @f = split /\0/, $_[0], -1;
  my $id = shift @f; my $cwd = shift @f; my $argc = shift @f;
  my @argv = splice(@f, 0, $argc);
  my $envc = shift @f; my @env = $envc >= 0 ? splice(@f, 0, $envc) : ();
  use_env($envc >= 0 ? \@env : undef);
  my ($or, $ow, $er, $ew, $sr, $sw);
  pipe($or, $ow) && pipe($er, $ew) && pipe($sr, $sw) or do { report('W', $id, 0); report('X', $id, 'e' . ($! + 0)); return; };
  POSIX::sigprocmask(POSIX::SIG_BLOCK(), $held);
  my $pid = fork();
  if (!defined $pid) { POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $held); report('W', $id, 0); report('X', $id, 'e' . ($! + 0)); return; }
  if ($pid == 0) {
    # Perl ignores SIGFPE and may block signals: a command starts with the defaults.
    $SIG{$_} = 'DEFAULT' for qw(CHLD PIPE FPE TERM INT HUP);
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    POSIX::setsid();
    open(STDIN, '<', '/dev/null');
    POSIX::dup2(fileno($ow), 1); POSIX::dup2(fileno($ew), 2);
    my $fail = sub { my $m = $_[0] . ($! + 0); syswrite($sw, $m); POSIX::_exit(127); };
    $fail->('c') if $cwd ne '' && !chdir($cwd);
    { no warnings; exec { $argv[0] } @argv; }
    $fail->('e');
  }
  POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $held);
  close($ow); close($ew); close($sw);
  report('P', $id, $pid);
  my $k = { id => $id, pid => $pid, open => 3, failed => '', h1 => $or, h2 => $er, hs => $sr };
  $kids{$pid} = $k;
  for ([$or, '1'], [$er, '2'], [$sr, 's']) { my $fd = fileno($_->[0]); $fds{$fd} = [$k, $_->[1]]; vec($rin, $fd, 1) = 1; }
}

my $spent = 0; # the CPU time of the children reaped so far, in s: each reap adds one's
while (1) {
  while ((my $p = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my (undef, undef, $cu, $cs) = times;
    my $ms = int(($cu + $cs - $spent) * 1000 + 0.5);
    $spent = $cu + $cs;
    my $k = $kids{$p} or next;
    $k->{status} = $?; report('W', $k->{id}, "$? " . ($ms > 0 ? $ms : 0)); finish($k);
  }
  # A command that closed its streams but is not reaped yet is looked at again soon: its SIGCHLD
  # may come between the reap above and select, and would not wake it.
  my $late = grep { $_->{open} == 0 } values %kids;
  flush();
  my $rout = $rin;
  my $n = select($rout, undef, undef, $late ? 0.01 : undef);
  next if $n <= 0;
  if (vec($rout, 0, 1)) {
    my $r = sysread(STDIN, $in, 65536, length $in);
    if (!defined $r) { next if $!{EINTR} || $!{EAGAIN}; exit 1; }
    if ($r == 0) { flush(); exit 0; }
    while ($in =~ /^(\d+)\n/) {
      my $at = length($1) + 1; my $len = $1;
      last if length($in) < $at + $len;
      start(substr($in, $at, $len));
      substr($in, 0, $at + $len) = '';
    }
  }
  for my $fd (keys %fds) {
    next unless vec($rout, $fd, 1);
    my ($k, $tag) = @{$fds{$fd}};
    my $r = sysread($k->{"h$tag"}, my $buf, 65536);
    if (!defined $r) { next if $!{EINTR} || $!{EAGAIN}; $r = 0; }
    if ($r == 0) { close_fd($fd); next; }
    if ($tag eq 's') { $k->{failed} .= $buf; next; }
    report($tag, $k->{id}, $buf);
  }
}
`;
