#!/usr/bin/perl
# The multi-threaded perl trace: worker threads (ithreads, each its own
# interpreter, allocating in parallel) parse and summarise generated log
# lines with regexes, hashes, sort and sprintf; the main thread merges.
# Deterministic per thread: each worker seeds its own LCG (the interleaving
# of the threads is whatever the scheduler made of it).
# Usage: perl threads.pl [THREADS] [LINES_PER_THREAD]
use strict;
use warnings;
use threads;
use threads::shared;

my ($nthreads, $lines) = (@ARGV, 3, 20000)[0, 1];
my $started :shared = 0;

# All workers start together, so their allocations really overlap.
sub start_barrier {
    lock($started);
    $started++;
    cond_broadcast($started);
    cond_wait($started) while $started < $nthreads;
}

my @paths = qw(/ /index.html /api/items /api/items/42 /api/users /static/app.js
               /static/style.css /login /logout /search /cart /checkout);
my @agents = ('curl/8.1', 'Mozilla/5.0 (X11; Linux)', 'Wget/1.21', 'bot/2.0 (+crawler)');

sub worker {
    my ($id, $n) = @_;
    start_barrier();
    my $seed = 7 + $id * 1000003;
    my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; ($seed >> 16) % $_[0] };
    my (%hits, %bytes, %status, %agent, @slow);
    for my $i (1 .. $n) {
        # Build a log line, then parse it back as a log analyser would.
        my $line = sprintf('10.%d.%d.%d - - [%02d/Mar/2024:%02d:%02d:%02d] "%s %s HTTP/1.1" %d %d "%s" %.3f',
            $rand->(256), $rand->(256), $rand->(256), 1 + $rand->(28), $rand->(24), $rand->(60),
            $rand->(60), ($rand->(5) ? 'GET' : 'POST'), $paths[$rand->(scalar @paths)],
            (200, 200, 200, 304, 404, 500)[$rand->(6)], $rand->(50000),
            $agents[$rand->(scalar @agents)], $rand->(3000) / 1000);
        next unless $line =~ m{^(\S+) \S+ \S+ \[([^\]]+)\] "(\w+) (\S+) [^"]*" (\d+) (\d+) "([^"]*)" ([\d.]+)$};
        my ($ip, $when, $method, $path, $code, $size, $ua, $secs) = ($1, $2, $3, $4, $5, $6, $7, $8);
        $hits{"$method $path"}++;
        $bytes{$path} += $size;
        $status{$code}++;
        (my $family = $ua) =~ s{/.*}{};
        $agent{lc $family}++;
        push @slow, "$secs $path $ip" if $secs > 2.9;
        @slow = (sort { $b cmp $a } @slow)[0 .. 49] if @slow > 200;
    }
    my @top = (sort { $hits{$b} <=> $hits{$a} || $a cmp $b } keys %hits)[0 .. 4];
    return join("\n", "worker $id",
        (map { sprintf('  %-24s %6d', $_, $hits{$_}) } @top),
        (map { sprintf('  status %s %6d', $_, $status{$_}) } sort keys %status),
        (map { sprintf('  agent %-10s %6d', $_, $agent{$_}) } sort keys %agent),
        sprintf('  slow requests kept: %d', scalar @slow));
}

my @workers = map { threads->create(\&worker, $_, $lines) } 1 .. $nthreads;
my @reports = map { $_->join } @workers;
my %merged;
for my $r (@reports) {
    $merged{$1} += $2 while $r =~ /status (\d+)\s+(\d+)/g;
}
print "$_\n" for @reports;
printf "all: %s\n", join(' ', map { "$_=$merged{$_}" } sort keys %merged);
