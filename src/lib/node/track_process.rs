//! vrrp_track_process counted the way keepalived 2.2.7 counts it (core/track_process.c), pure:
//! which processes a block matches (its process name, or argv[0] with `full_command`, and the
//! arguments under `param_match`), how many of each run, whether the quorum holds
//! (`quorum <= n <= quorum_max`), and the `fork_delay` / `terminate_delay` timers. The daemon
//! feeds it the kernel's process events (exec, fork, exit, comm) and full /proc scans (at start
//! and after the event socket overflowed); no I/O and no clock here: callers pass `now` and
//! arm a timer at `next_deadline`.
//!
//! Where keepalived counts a pid twice (a tracked process exec'ing a matching binary again)
//! or can keep a quorum that a lost timer should have ended (an overflow while a terminate
//! delay runs), this table counts each pid once and re-derives the quorum from the rescan.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::model::{ParamMatch, VrrpTrackProcess};

/// How one vrrp_track_process recognises its processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMatch {
    process: Vec<u8>,
    /// The configured arguments, each followed by a NUL, as /proc/PID/cmdline holds them.
    params: Vec<u8>,
    param_match: Option<ParamMatch>,
    full_command: bool,
}

impl ProcessMatch {
    pub fn new(def: &VrrpTrackProcess) -> ProcessMatch {
        let mut params = Vec::new();
        for a in &def.args {
            params.extend_from_slice(a.as_bytes());
            params.push(0);
        }
        ProcessMatch {
            process: def.process.as_bytes().to_vec(),
            params,
            param_match: def.param_match,
            full_command: def.full_command,
        }
    }

    /// Whether it matches by command line (not by the process name).
    pub fn full_command(&self) -> bool {
        self.full_command
    }

    /// Does a process with this name (`comm`, as in /proc/PID/comm, at most 15 bytes) and
    /// command line (/proc/PID/cmdline: NUL-terminated arguments) count?
    pub fn matches(&self, comm: &[u8], cmdline: &[u8]) -> bool {
        let (name, params): (&[u8], &[u8]) = if self.full_command {
            match cmdline.iter().position(|&b| b == 0) {
                Some(i) => (&cmdline[..i], &cmdline[i + 1..]),
                None => (cmdline, &[]),
            }
        } else {
            (comm, &[])
        };
        if name != self.process.as_slice() {
            return false;
        }
        match self.param_match {
            None => true,
            Some(m) => check_params(m, &self.params, params),
        }
    }
}

/// keepalived's check_params: `want` and `got` are NUL-terminated argument lists.
fn check_params(m: ParamMatch, want: &[u8], got: &[u8]) -> bool {
    match m {
        ParamMatch::Exact => got == want,
        _ if got.len() < want.len() => false,
        _ if want.is_empty() => true,
        ParamMatch::Partial => got.starts_with(want),
        // The last configured argument may be the start of the process's argument.
        ParamMatch::Initial => got.starts_with(&want[..want.len() - 1]),
    }
}

/// A process as the table needs to see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcInfo {
    pub comm: Vec<u8>,
    pub cmdline: Vec<u8>,
}

/// A block's quorum changed (keepalived: "Quorum gained/lost for tracked process NAME").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumChange {
    pub name: String,
    pub up: bool,
    /// Processes counted now.
    pub count: u32,
}

#[derive(Debug, Clone)]
struct Tracked {
    name: String,
    matcher: ProcessMatch,
    quorum: u32,
    quorum_max: u32,
    fork_delay: Duration,
    terminate_delay: Duration,
    count: u32,
    have_quorum: bool,
    fork_timer: Option<Instant>,
    terminate_timer: Option<Instant>,
}

impl Tracked {
    fn in_range(&self) -> bool {
        self.count >= self.quorum && self.count <= self.quorum_max
    }

    fn update(&mut self, up: bool, out: &mut Vec<QuorumChange>) {
        if up != self.have_quorum {
            self.have_quorum = up;
            out.push(QuorumChange {
                name: self.name.clone(),
                up,
                count: self.count,
            });
        }
    }

    /// One more process: keepalived's check_process (`fork: false`) and check_process_fork.
    fn gained(&mut self, now: Instant, fork: bool, out: &mut Vec<QuorumChange>) {
        self.count += 1;
        if self.count != self.quorum && self.count != self.quorum_max.saturating_add(1) {
            return;
        }
        if self.terminate_timer.take().is_none() && fork && !self.fork_delay.is_zero() {
            self.fork_timer = Some(now + self.fork_delay);
            return;
        }
        let up = self.count == self.quorum;
        self.update(up, out);
    }

    /// One process fewer: by its exit (`exited`: terminate_delay applies) or because it no
    /// longer matches (exec of another program, a new name: reported at once).
    fn lost(&mut self, now: Instant, exited: bool, out: &mut Vec<QuorumChange>) {
        let before = self.count;
        self.count = self.count.saturating_sub(1);
        if before != self.quorum && self.count != self.quorum_max {
            return;
        }
        if self.fork_timer.take().is_none() && exited && !self.terminate_delay.is_zero() {
            self.terminate_timer = Some(now + self.terminate_delay);
            return;
        }
        let up = self.count == self.quorum_max;
        self.update(up, out);
    }
}

/// Every vrrp_track_process of the node, and which pids each counts.
#[derive(Debug, Clone, Default)]
pub struct ProcessTable {
    tracked: Vec<Tracked>,
    /// pid -> indices into `tracked` that count it.
    pids: HashMap<u32, Vec<usize>>,
}

impl ProcessTable {
    pub fn new(defs: &[VrrpTrackProcess]) -> ProcessTable {
        ProcessTable {
            tracked: defs
                .iter()
                .map(|d| Tracked {
                    name: d.name.clone(),
                    matcher: ProcessMatch::new(d),
                    quorum: d.quorum,
                    quorum_max: d.quorum_max.unwrap_or(u32::MAX),
                    fork_delay: d.fork_delay,
                    terminate_delay: d.terminate_delay,
                    count: 0,
                    have_quorum: false,
                    fork_timer: None,
                    terminate_timer: None,
                })
                .collect(),
            pids: HashMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.is_empty()
    }

    /// Whether any block needs the command line (else the name is enough).
    pub fn needs_cmdline(&self) -> bool {
        self.tracked.iter().any(|t| t.matcher.full_command())
    }

    /// The blocks, each with whether its quorum holds and how many processes it counts.
    pub fn states(&self) -> Vec<QuorumChange> {
        self.tracked
            .iter()
            .map(|t| QuorumChange {
                name: t.name.clone(),
                up: t.have_quorum,
                count: t.count,
            })
            .collect()
    }

    fn count_all(&mut self, procs: &[(u32, ProcInfo)]) {
        self.pids.clear();
        for t in &mut self.tracked {
            t.count = 0;
            t.fork_timer = None;
            t.terminate_timer = None;
        }
        for (pid, info) in procs {
            for (i, t) in self.tracked.iter_mut().enumerate() {
                if t.matcher.matches(&info.comm, &info.cmdline) {
                    t.count += 1;
                    self.pids.entry(*pid).or_default().push(i);
                }
            }
        }
    }

    /// The start-up scan of every process (zombies left out): each block's quorum is whatever
    /// the count says, reported for every block (`states`).
    pub fn initial_scan(&mut self, procs: &[(u32, ProcInfo)]) -> Vec<QuorumChange> {
        self.count_all(procs);
        for t in &mut self.tracked {
            t.have_quorum = t.in_range();
        }
        self.states()
    }

    /// A scan after events were lost (the socket overflowed): counts start again from what
    /// runs now; a quorum that is gone waits for terminate_delay as an exit would.
    pub fn rescan(&mut self, now: Instant, procs: &[(u32, ProcInfo)], out: &mut Vec<QuorumChange>) {
        self.count_all(procs);
        for t in &mut self.tracked {
            match (t.in_range(), t.have_quorum) {
                (true, false) => t.update(true, out),
                (false, true) if !t.terminate_delay.is_zero() => {
                    t.terminate_timer = Some(now + t.terminate_delay)
                }
                (false, true) => t.update(false, out),
                _ => {}
            }
        }
    }

    /// PROC_EVENT_EXEC: the process now runs another program (`info` read after the exec).
    pub fn exec(&mut self, now: Instant, pid: u32, info: &ProcInfo, out: &mut Vec<QuorumChange>) {
        self.recheck(now, pid, info, true, out);
    }

    /// PROC_EVENT_COMM: the process renamed itself (prctl PR_SET_NAME); only blocks that
    /// match by name look again.
    pub fn comm(&mut self, now: Instant, pid: u32, info: &ProcInfo, out: &mut Vec<QuorumChange>) {
        self.recheck(now, pid, info, false, out);
    }

    fn recheck(
        &mut self,
        now: Instant,
        pid: u32,
        info: &ProcInfo,
        cmdline_too: bool,
        out: &mut Vec<QuorumChange>,
    ) {
        let mut counted = self.pids.remove(&pid).unwrap_or_default();
        for (i, t) in self.tracked.iter_mut().enumerate() {
            if t.matcher.full_command() && !cmdline_too {
                continue;
            }
            let matches = t.matcher.matches(&info.comm, &info.cmdline);
            let was = counted.contains(&i);
            if matches && !was {
                counted.push(i);
                t.gained(now, false, out);
            } else if !matches && was {
                counted.retain(|&c| c != i);
                t.lost(now, false, out);
            }
        }
        if !counted.is_empty() {
            self.pids.insert(pid, counted);
        }
    }

    /// PROC_EVENT_FORK of a process (not a thread): a child of a counted process counts for
    /// the same blocks until it execs.
    pub fn fork(&mut self, now: Instant, parent: u32, child: u32, out: &mut Vec<QuorumChange>) {
        let Some(blocks) = self.pids.get(&parent).cloned() else {
            return;
        };
        if self.pids.contains_key(&child) {
            return;
        }
        for &i in &blocks {
            self.tracked[i].gained(now, true, out);
        }
        self.pids.insert(child, blocks);
    }

    /// PROC_EVENT_EXIT of a process (not a thread).
    pub fn exit(&mut self, now: Instant, pid: u32, out: &mut Vec<QuorumChange>) {
        for i in self.pids.remove(&pid).unwrap_or_default() {
            self.tracked[i].lost(now, true, out);
        }
    }

    /// The earliest fork/terminate delay to expire.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.tracked
            .iter()
            .flat_map(|t| [t.fork_timer, t.terminate_timer])
            .flatten()
            .min()
    }

    /// Run the delays due at `now`: the quorum is what the count says then.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<QuorumChange>) {
        for t in &mut self.tracked {
            let due = |d: &mut Option<Instant>| d.take_if(|at| *at <= now).is_some();
            let fired = due(&mut t.fork_timer) | due(&mut t.terminate_timer);
            if fired {
                let up = t.in_range();
                t.update(up, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Span;

    fn def(process: &str) -> VrrpTrackProcess {
        let mut words = process.split(' ');
        VrrpTrackProcess {
            process: words.next().unwrap().into(),
            args: words.map(String::from).collect(),
            ..VrrpTrackProcess::new("P".into(), Span::default())
        }
    }

    fn info(cmdline: &str) -> ProcInfo {
        let argv0 = cmdline.split(' ').next().unwrap();
        let comm = argv0.rsplit('/').next().unwrap();
        let mut c: Vec<u8> = cmdline.replace(' ', "\0").into_bytes();
        c.push(0);
        ProcInfo {
            comm: comm.as_bytes()[..comm.len().min(15)].to_vec(),
            cmdline: c,
        }
    }

    fn m(d: &VrrpTrackProcess, cmdline: &str) -> bool {
        let i = info(cmdline);
        ProcessMatch::new(d).matches(&i.comm, &i.cmdline)
    }

    #[test]
    fn name_matching_uses_comm() {
        let d = def("httpd");
        assert!(m(&d, "/usr/sbin/httpd -DFOREGROUND"));
        assert!(m(&d, "httpd"));
        assert!(!m(&d, "/usr/sbin/httpd2"));
        // comm is at most 15 bytes: a longer name never matches by name (as in keepalived).
        let long = def("a-very-long-daemon-name");
        assert!(!m(&long, "a-very-long-daemon-name"));
    }

    #[test]
    fn full_command_compares_argv0() {
        let mut d = def("/usr/sbin/httpd");
        d.full_command = true;
        assert!(m(&d, "/usr/sbin/httpd -k start"));
        assert!(!m(&d, "httpd -k start"));
    }

    #[test]
    fn param_match_exact_initial_partial() {
        // Arguments on the process line: full command line, exact arguments.
        let mut d = def("sleep 1001");
        d.full_command = true;
        d.param_match = Some(ParamMatch::Exact);
        assert!(m(&d, "sleep 1001"));
        assert!(!m(&d, "sleep 10011"));
        assert!(!m(&d, "sleep 1001 x"));
        assert!(!m(&d, "sleep 100"));
        // Exact without arguments: only a process without arguments.
        let mut bare = def("sleep");
        bare.full_command = true;
        bare.param_match = Some(ParamMatch::Exact);
        assert!(m(&bare, "sleep"));
        assert!(!m(&bare, "sleep 1"));
        // Partial: whole first arguments, more may follow.
        d.param_match = Some(ParamMatch::Partial);
        assert!(m(&d, "sleep 1001 x"));
        assert!(!m(&d, "sleep 10011"));
        // Initial: the last configured argument may be cut short.
        d.param_match = Some(ParamMatch::Initial);
        assert!(m(&d, "sleep 10011"));
        assert!(m(&d, "sleep 1001 x"));
        assert!(!m(&d, "sleep 1002"));
        assert!(!m(&d, "sleep"));
    }

    fn table(d: VrrpTrackProcess) -> ProcessTable {
        ProcessTable::new(&[d])
    }

    fn up(changes: &[QuorumChange]) -> Vec<bool> {
        changes.iter().map(|c| c.up).collect()
    }

    #[test]
    fn exec_and_exit_move_the_quorum_at_once() {
        let mut t = table(def("httpd"));
        assert_eq!(up(&t.initial_scan(&[(1, info("init"))])), vec![false]);
        let now = Instant::now();
        let mut out = Vec::new();
        t.exec(now, 10, &info("httpd"), &mut out);
        assert_eq!(up(&out), vec![true]);
        // The same pid exec'ing httpd again is still one process.
        out.clear();
        t.exec(now, 10, &info("httpd"), &mut out);
        t.exit(now, 10, &mut out);
        assert_eq!(up(&out), vec![false]);
        // An exit of a pid nobody counts changes nothing.
        out.clear();
        t.exit(now, 11, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn quorum_and_quorum_max() {
        let mut d = def("worker");
        d.quorum = 2;
        d.quorum_max = Some(3);
        let mut t = table(d);
        t.initial_scan(&[]);
        let now = Instant::now();
        let mut out = Vec::new();
        for pid in 1..=4 {
            t.exec(now, pid, &info("worker"), &mut out);
        }
        // 1: no; 2: gained; 3: still; 4: above quorum_max, lost.
        assert_eq!(up(&out), vec![true, false]);
        out.clear();
        t.exit(now, 4, &mut out);
        t.exit(now, 3, &mut out);
        t.exit(now, 2, &mut out);
        // 3: back in range; 2: still; 1: below quorum.
        assert_eq!(up(&out), vec![true, false]);
    }

    #[test]
    fn quorum_max_zero_tracks_absence() {
        let mut d = def("rescue");
        d.quorum = 0;
        d.quorum_max = Some(0);
        let mut t = table(d);
        assert_eq!(up(&t.initial_scan(&[])), vec![true]);
        let now = Instant::now();
        let mut out = Vec::new();
        t.exec(now, 5, &info("rescue"), &mut out);
        t.exit(now, 5, &mut out);
        assert_eq!(up(&out), vec![false, true]);
    }

    #[test]
    fn terminate_delay_waits_and_a_restart_within_it_is_no_change() {
        let mut d = def("httpd");
        d.terminate_delay = Duration::from_millis(500);
        let mut t = table(d);
        let t0 = Instant::now();
        assert_eq!(up(&t.initial_scan(&[(7, info("httpd"))])), vec![true]);
        let mut out = Vec::new();
        t.exit(t0, 7, &mut out);
        assert!(out.is_empty());
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_millis(500)));
        // Restarted within the delay: the timer is cancelled and nothing is reported.
        t.exec(t0 + Duration::from_millis(100), 8, &info("httpd"), &mut out);
        assert!(out.is_empty());
        assert_eq!(t.next_deadline(), None);
        // Gone for good: lost when the delay expires, not before.
        t.exit(t0 + Duration::from_millis(200), 8, &mut out);
        t.expire(t0 + Duration::from_millis(699), &mut out);
        assert!(out.is_empty());
        t.expire(t0 + Duration::from_millis(700), &mut out);
        assert_eq!(up(&out), vec![false]);
    }

    #[test]
    fn fork_delay_applies_to_children_of_counted_processes() {
        let mut d = def("master");
        d.quorum = 2;
        d.fork_delay = Duration::from_secs(1);
        let mut t = table(d);
        let t0 = Instant::now();
        t.initial_scan(&[(1, info("master"))]);
        let mut out = Vec::new();
        // A fork of an uncounted process is nothing.
        t.fork(t0, 99, 100, &mut out);
        // A fork of the counted one: the second process, quorum after fork_delay.
        t.fork(t0, 1, 2, &mut out);
        assert!(out.is_empty());
        t.expire(t0 + Duration::from_secs(1), &mut out);
        assert_eq!(up(&out), vec![true]);
        // The child exec'ing something else stops counting, at once.
        out.clear();
        t.exec(t0, 2, &info("sh"), &mut out);
        assert_eq!(up(&out), vec![false]);
    }

    #[test]
    fn comm_change_only_concerns_name_matching() {
        let mut t = ProcessTable::new(&[def("old"), {
            let mut d = def("/bin/old");
            d.full_command = true;
            d.name = "F".into();
            d
        }]);
        t.initial_scan(&[(3, info("/bin/old"))]);
        let now = Instant::now();
        let mut out = Vec::new();
        let renamed = ProcInfo {
            comm: b"new".to_vec(),
            cmdline: info("/bin/old").cmdline,
        };
        t.comm(now, 3, &renamed, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].name.as_str(), out[0].up), ("P", false));
    }

    #[test]
    fn rescan_after_lost_events_rederives_the_quorum() {
        let mut d = def("httpd");
        d.terminate_delay = Duration::from_millis(300);
        let mut t = table(d);
        let t0 = Instant::now();
        t.initial_scan(&[]);
        let mut out = Vec::new();
        // Events lost: httpd started meanwhile.
        t.rescan(t0, &[(4, info("httpd"))], &mut out);
        assert_eq!(up(&out), vec![true]);
        // And is gone at the next rescan: the loss waits for terminate_delay.
        out.clear();
        t.rescan(t0, &[], &mut out);
        assert!(out.is_empty());
        t.expire(t0 + Duration::from_millis(300), &mut out);
        assert_eq!(up(&out), vec![false]);
    }
}
