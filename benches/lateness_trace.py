#!/usr/bin/env python3
"""Split each timerfd wake-up of a daemon into where its time went (a trace written by
benches/lateness_trace.sh), and say for each late one what held it up.

usage: lateness_trace.py TRACE COMM [THRESHOLD_US] [PID,...]

For every expiry of a timerfd the daemon armed (COMM, e.g. vrrpd or keepalived; PIDs narrow it
to those threads, e.g. the bench's daemon when tests run other vrrpds meanwhile):
  deadline -> irq     the timer interrupt's arrival after the deadline (the hypervisor's: a
                      halted vCPU woken late, or the whole VM not running)
  irq -> woken        the timerfd's hrtimer callback and the wake-up
  woken -> runs       the CPU is someone else's (with PREEMPT_NONE a task inside the kernel
                      keeps it until it returns to user space, whatever our priority)
  runs -> epoll       the return from epoll_wait
  epoll -> sendmmsg   the daemon's own work before its adverts leave
  sendmmsg -> frames  the kernel's: first and last frame handed to the veth (netif_rx)
A late wake-up is labelled by its largest part; "VM stopped" when no CPU took its scheduler
tick meanwhile (both vCPUs descheduled by the host). Futex waits of the daemon's threads (the
malloc arena's lock, channel wake-ups) are summed at the end.
"""
import bisect
import re
import statistics
import sys

LINE = re.compile(r'^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+([A-Za-z_0-9]+)(.*)$')


def num(rest, key):
    m = re.search(key + r'=(\S+)', rest)
    return m.group(1) if m else None


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    path, comm = sys.argv[1], sys.argv[2][:15]
    thresh = float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0
    only = {int(p) for p in sys.argv[4].split(',')} if len(sys.argv) > 4 else set()
    ours = set()          # tids of the daemon's loop (they arm timerfds)
    armed = {}            # hrtimer -> deadline (ns)
    ticks = {}            # cpu -> local timer interrupt times
    idle_since = {}       # cpu -> time it went idle (None: busy)
    last_irq = {}
    recs, cur = [], None
    futex = {}            # tid -> [enter time, total, count, max]
    for line in open(path, errors='replace'):
        m = LINE.match(line)
        if not m:
            continue
        c, tid, cpu, t, ev, rest = m.groups()
        tid, cpu, t = int(tid), int(cpu), round(float(t) * 1e9)
        rest = rest.lstrip(': ')
        if ev == 'local_timer_entry':
            ticks.setdefault(cpu, []).append(t)
            last_irq[cpu] = t
        elif ev == 'cpu_idle':
            idle_since[cpu] = None if 'state=4294967295' in rest else t
        elif ev == 'hrtimer_start' and 'timerfd_tmrproc' in rest and c.startswith(comm) \
                and (not only or tid in only):
            ours.add(tid)
            armed[num(rest, 'hrtimer')] = int(num(rest, 'expires'))
        elif ev == 'hrtimer_expire_entry' and num(rest, 'hrtimer') in armed:
            if cur:
                recs.append(cur)
            cur = dict(deadline=armed.pop(num(rest, 'hrtimer')), cpu=cpu, cb=t,
                       irq=last_irq.get(cpu), on=c, idle=idle_since.get(cpu) is not None)
        elif cur is None:
            pass
        elif ev == 'sched_wakeup' and 'woken' not in cur and int(num(rest, 'pid') or -1) in ours:
            cur['woken'] = t
        elif ev == 'sched_switch' and 'runs' not in cur and int(num(rest, 'next_pid') or -1) in ours:
            cur['runs'] = t
            cur['held_by'] = num(rest, 'prev_comm')
        if tid not in ours:
            continue
        if ev == 'sys_futex':
            f = futex.setdefault(tid, [None, 0, 0, 0])
            if rest.startswith('('):
                f[0] = t
            elif f[0] is not None:
                d = (t - f[0]) / 1000
                f[0] = None
                if d > 5:  # a wait, not a wake-up call
                    f[1] += d
                    f[2] += 1
                    f[3] = max(f[3], d)
        if ev == 'sys_epoll_wait' and rest.startswith('->') and cur and 'ret' not in cur:
            cur['ret'] = t
        elif ev == 'sys_sendmmsg' and rest.startswith('(') and cur and 'ret' in cur and 'send' not in cur:
            cur['send'] = t
        elif ev == 'netif_rx' and cur and 'send' in cur and 'sent' not in cur:
            cur.setdefault('first', t)
            cur['last'] = t
        elif ev == 'sys_sendmmsg' and rest.startswith('->') and cur and 'send' in cur:
            cur['sent'] = t
        elif ev == 'sys_epoll_wait' and rest.startswith('(') and cur and 'ret' in cur:
            recs.append(cur)
            cur = None
    if cur:
        recs.append(cur)
    parts = [('deadline', 'irq', 'deadline -> irq'), ('irq', 'woken', 'irq -> woken'),
             ('woken', 'runs', 'woken -> runs'), ('runs', 'ret', 'runs -> epoll'),
             ('ret', 'send', 'epoll -> sendmmsg'), ('send', 'first', 'sendmmsg -> 1st frame'),
             ('send', 'last', 'sendmmsg -> last frame'), ('deadline', 'last', 'deadline -> last frame')]

    def us(r, a, b):
        if r.get(a) is None or r.get(b) is None:
            return None
        return (r[b] - r[a]) / 1000

    print(f'{len(recs)} timer wake-ups of {comm} (threads {sorted(ours)})')
    for a, b, name in parts:
        v = sorted(x for x in (us(r, a, b) for r in recs) if x is not None)
        if v:
            print(f'  {name:24s} median {statistics.median(v):9.1f} us  p99 {v[min(len(v) - 1, int(len(v) * .99))]:9.1f}'
                  f'  max {v[-1]:9.1f}  ({len(v)})')
    all_ticks = {cpu: sorted(v) for cpu, v in ticks.items()}

    def vm_stopped(r):
        # Longer than a scheduler tick (4 ms at HZ=250) and no CPU took any interrupt: nothing
        # of the VM ran (a busy vCPU takes its tick; an idle one would have been woken by ours).
        lo, hi = r['deadline'], r['irq']
        # (the other vCPU's interrupt may come a few microseconds before ours, when both resume)
        quiet = all(bisect.bisect_right(v, hi - 100_000) == bisect.bisect_right(v, lo) for v in all_ticks.values())
        return quiet and hi - lo > 4_500_000

    def vcpu_stopped(r):
        # Its own scheduler tick missed too: the host was not running this vCPU.
        lo, hi, v = r['deadline'], r['irq'], all_ticks.get(r['cpu'], [])
        return hi - lo > 4_500_000 and bisect.bisect_right(v, hi - 100_000) == bisect.bisect_right(v, lo)

    late = [r for r in recs if (us(r, 'deadline', 'last') or us(r, 'deadline', 'ret') or 0) > thresh]
    print(f'\n{len(late)} wake-ups whose last frame left more than {thresh:.0f} us after the deadline:')
    for r in late:
        split = {name: us(r, a, b) for a, b, name in parts[:6]}
        worst = max((v or 0, k) for k, v in split.items())[1]
        why = {'deadline -> irq': 'timer interrupt late: ' + (
                   'VM stopped (no CPU took an interrupt)' if r['irq'] and vm_stopped(r)
                   else 'vCPU not run by the host (its own tick missed too)' if r['irq'] and vcpu_stopped(r)
                   else 'halted vCPU woken late' if r['idle'] or r['on'] == '<idle>' else 'vCPU busy with ' + r['on']),
               'irq -> woken': 'interrupt handling',
               'woken -> runs': f"CPU held by {r.get('held_by')}",
               'runs -> epoll': 'return to the loop',
               'epoll -> sendmmsg': 'the daemon\'s own work',
               'sendmmsg -> 1st frame': 'kernel send path'}[worst]
        cells = '  '.join(f'{k.split(" -> ")[1]} {v:7.0f}' if v is not None else f'{k.split(" -> ")[1]}     n/a'
                          for k, v in split.items())
        total = us(r, 'deadline', 'last')
        print(f"  {r['deadline'] / 1e9:.6f} cpu{r['cpu']} last frame +{total if total is not None else float('nan'):.0f} us:"
              f'  {cells}  -> {why}')
    for tid, (_, total, n, mx) in sorted(futex.items()):
        print(f'loop thread {tid}: {n} futex calls longer than 5 us (lock waits), {total:.0f} us in all, longest {mx:.0f} us')


if __name__ == '__main__':
    main()
