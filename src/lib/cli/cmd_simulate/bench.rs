//! `vrrpctl simulate-failover --bench` (hidden): how many simulated seconds the simulator runs
//! per real second, for 3 nodes x 100 and 3 nodes x 1,000 instances (adverts every second,
//! one master crash), printed as a table. benches/simulate_bench.sh runs it.

use std::time::{Duration, Instant};

use super::super::{CmdResult, Exit, Output};
use crate::config;
use crate::sim::scenario::{nodes_from, EventsFile};
use crate::sim::{Scenario, TimedStep};

/// One node's keepalived.conf with `instances` instances: VRIDs 1..=250 per interface, so
/// more than 250 instances spread over eth0, eth1, ...; every node has the same VIPs
/// (documentation addresses; the fourth interface reuses the first one's).
pub fn cluster_config(node: usize, instances: usize) -> String {
    const NETS: [&str; 4] = ["192.0.2", "198.51.100", "203.0.113", "192.0.2"];
    let mut s = format!("global_defs {{\n  router_id n{node}\n}}\n");
    for k in 0..instances {
        let (iface, vrid) = (k / 250, k % 250 + 1);
        // Node 1 is the master of every instance.
        let prio = 200 - node * 10;
        s.push_str(&format!(
            "vrrp_instance VI_{k} {{\n  state BACKUP\n  interface eth{iface}\n  virtual_router_id {vrid}\n  priority {prio}\n  advert_int 1\n  virtual_ipaddress {{\n    {}.{vrid}/32\n  }}\n}}\n",
            NETS[iface % 4]
        ));
    }
    s
}

/// This process's CPU time so far (the machine may be shared: wall time alone would blame the
/// simulator for its neighbours).
fn cpu_time() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

/// Wall and CPU time to simulate `virtual_secs` of `nodes` x `instances`, the adverts
/// delivered and the split brains seen (a sanity check: there should be none).
pub fn measure(
    nodes: usize,
    instances: usize,
    virtual_secs: u64,
) -> (Duration, Duration, u64, usize) {
    let loaded = (1..=nodes)
        .map(|n| config::load_str(format!("n{n}.conf"), &cluster_config(n, instances)))
        .collect();
    let Ok(nodes) = nodes_from(loaded, &[]) else {
        return (Duration::ZERO, Duration::ZERO, 0, 0);
    };
    let mut ev = EventsFile::default();
    if let Ok(step) = "crash:n1@10s".parse::<TimedStep>() {
        ev.steps.push(step);
    }
    ev.until = Some(Duration::from_secs(virtual_secs));
    let scenario = Scenario::new(nodes, ev);
    let (started, cpu) = (Instant::now(), cpu_time());
    let (delivered, splits) = match scenario.run() {
        Ok(run) => (run.report.packets.delivered, run.report.split_brains.len()),
        Err(_) => (0, 0),
    };
    (
        started.elapsed(),
        cpu_time().saturating_sub(cpu),
        delivered,
        splits,
    )
}

pub fn run(out: &Output) -> CmdResult {
    let mut table = out.table(&[
        "nodes x instances",
        "simulated",
        "real",
        "simulated s per real s",
        "CPU",
        "per CPU s",
        "adverts delivered",
        "split brains",
    ]);
    for (instances, secs) in [(100usize, 3_600u64), (1_000, 600)] {
        let (real, cpu, delivered, splits) = measure(3, instances, secs);
        let ratio = |d: Duration| secs as f64 / d.as_secs_f64().max(1e-9);
        table.add_row(vec![
            format!("3 x {instances}"),
            format!("{secs} s"),
            format!("{:.3} s", real.as_secs_f64()),
            format!("{:.0}x", ratio(real)),
            format!("{:.3} s", cpu.as_secs_f64()),
            format!("{:.0}x", ratio(cpu)),
            delivered.to_string(),
            splits.to_string(),
        ]);
    }
    println!("{table}");
    Ok(Exit::Ok)
}
