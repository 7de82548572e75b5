//! `vrrpctl simulate-failover`: turn the flags (or a scenario) into a `sim::Scenario`, run it
//! (or the default drill when no event is given), and print the timeline, the final VIP
//! owners and the findings, as a table or as DESIGN.md's JSON. `--live` (live.rs) rehearses
//! for real on this host instead.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use owo_colors::Style;
use serde_json::{json, Value};

use super::{CmdError, CmdResult, Exit, Output, SimulateArgs};
use crate::fsm::{State, Time};
use crate::sim::findings::{self, secs, Finding};
use crate::sim::scenario::{self, EventsFile};
use crate::sim::{drill, parse_duration, Report, Scenario, TimedStep};

mod bench;
mod live;

pub fn run(a: &SimulateArgs, out: &Output) -> CmdResult {
    if a.bench {
        return bench::run(out);
    }
    if let Some(name) = &a.live {
        return live::run(a, name, out);
    }
    let scenario = build(a)?;
    if scenario.nodes.is_empty() {
        return Err(CmdError::usage(
            "no nodes: give the keepalived.conf of each node, or --scenario DIR with *.conf files",
        ));
    }
    if scenario.steps.is_empty() && scenario.until.is_none() {
        let d = drill::run(&scenario).map_err(|e| CmdError::usage(e.to_string()))?;
        let f = findings::findings(&d.scenario, &d.run);
        if out.json {
            let mut v = report_json(&d.scenario, &d.run.report, &f);
            v["drill"] = serde_json::to_value(&d.rows).unwrap_or(Value::Null);
            println!("{v}");
        } else {
            print_nodes(&d.scenario, out);
            print_drill(&d, out);
            print_final(&d.run.report, out);
            print_findings(&f, out);
        }
        return Ok(exit_for(&f));
    }
    let run = scenario.run().map_err(|e| CmdError::usage(e.to_string()))?;
    let f = findings::findings(&scenario, &run);
    if out.json {
        let mut v = report_json(&scenario, &run.report, &f);
        v["converged"] = json!(run.converged);
        println!("{v}");
    } else {
        print_nodes(&scenario, out);
        print_timeline(&scenario, &run.report, out);
        print_final(&run.report, out);
        print_findings(&f, out);
    }
    Ok(exit_for(&f))
}

fn exit_for(f: &[Finding]) -> Exit {
    if findings::ends_badly(f) {
        Exit::Problem
    } else {
        Exit::Ok
    }
}

/// The scenario the flags describe.
fn build(a: &SimulateArgs) -> Result<Scenario, CmdError> {
    let err = |e: crate::sim::ScenarioError| CmdError::usage(e.to_string());
    // `FILE=keepalived` (unless a file of that very name exists).
    let mut marked: Vec<bool> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for f in &a.files {
        let text = f.to_string_lossy();
        match text.strip_suffix("=keepalived") {
            Some(path) if !f.exists() => {
                files.push(PathBuf::from(path));
                marked.push(true);
            }
            _ => {
                files.push(f.clone());
                marked.push(false);
            }
        }
    }
    let mut ev = EventsFile::default();
    if let Some(path) = &a.scenario {
        let (events, dir_confs) = if path.is_dir() {
            let mut confs: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CmdError::usage(format!("cannot read {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            confs.sort();
            (path.join("events"), confs)
        } else {
            (path.clone(), Vec::new())
        };
        if files.is_empty() {
            marked = vec![false; dir_confs.len()];
            files = dir_confs;
        }
        match std::fs::read_to_string(&events) {
            Ok(text) => ev = EventsFile::parse(&events, &text).map_err(err)?,
            Err(e) if path.is_dir() && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(CmdError::usage(format!(
                    "cannot read {}: {e}; give a scenario directory or an events file",
                    events.display()
                )))
            }
        }
    }
    let flag = |kind: &str, values: &[String], out: &mut Vec<TimedStep>| -> Result<(), CmdError> {
        for v in values {
            let text = if kind == "heal" {
                format!("heal@{}", v.trim_start_matches('@'))
            } else {
                format!("{kind}:{v}")
            };
            let step: TimedStep = text.parse().map_err(|e: crate::sim::SpecError| {
                CmdError::usage(format!("--{kind} {v}: {e}"))
            })?;
            out.push(step);
        }
        Ok(())
    };
    let mut steps = Vec::new();
    flag("crash", &a.crash, &mut steps)?;
    flag("stop", &a.stop, &mut steps)?;
    flag("start", &a.start, &mut steps)?;
    flag("link-down", &a.link_down, &mut steps)?;
    flag("link-up", &a.link_up, &mut steps)?;
    flag("script-fail", &a.script_fail, &mut steps)?;
    flag("script-ok", &a.script_ok, &mut steps)?;
    flag("block-vrrp", &a.block_vrrp, &mut steps)?;
    flag("unblock-vrrp", &a.unblock_vrrp, &mut steps)?;
    flag("demote", &a.demote, &mut steps)?;
    flag("restore", &a.restore, &mut steps)?;
    flag("partition", &a.partition, &mut steps)?;
    flag("heal", &a.heal, &mut steps)?;
    for e in &a.events {
        let step: TimedStep = e
            .parse()
            .map_err(|x: crate::sim::SpecError| CmdError::usage(format!("--event {e}: {x}")))?;
        steps.push(step);
    }
    ev.steps.extend(steps);
    // Equal times keep the order above; the scenario file's steps come first.
    ev.steps.sort_by_key(|s| s.at);
    if let Some(p) = a.loss {
        if !(0.0..=100.0).contains(&p) {
            return Err(CmdError::usage(format!(
                "--loss {p}: give a percentage between 0 and 100"
            )));
        }
        ev.loss_pct = Some(p);
    }
    if let Some(ms) = a.delay {
        if !(0.0..=60_000.0).contains(&ms) {
            return Err(CmdError::usage(format!(
                "--delay {ms}: give milliseconds between 0 and 60000"
            )));
        }
        ev.delay = Some(Duration::from_micros((ms * 1000.0).round() as u64));
    }
    if let Some(u) = &a.until {
        ev.until =
            Some(parse_duration(u).map_err(|e| CmdError::usage(format!("--until {u}: {e}")))?);
    }
    // --seed wins over the scenario's `seed` line when given (1 is its default).
    if ev.seed.is_none() || a.seed != 1 {
        ev.seed = Some(a.seed);
    }
    let nodes = scenario::load_nodes(&files, &ev.addresses).map_err(err)?;
    ev.keepalived.extend(a.keepalived.iter().cloned());
    ev.keepalived.extend(
        nodes
            .iter()
            .zip(&marked)
            .filter(|(_, m)| **m)
            .map(|(n, _)| n.name.clone()),
    );
    let s = Scenario::new(nodes, ev);
    // Refuse unknown names and trackers before running anything.
    s.sim_events().map_err(err)?;
    s.build().map_err(err)?;
    Ok(s)
}

fn t(at: Time) -> String {
    secs(at - Time::ZERO)
}

fn state_style(s: State) -> Style {
    match s {
        State::Master => Style::new().green().bold(),
        State::Fault => Style::new().red(),
        State::Backup => Style::new(),
        State::Initialize | State::Stop => Style::new().dimmed(),
    }
}

/// One line naming the nodes, what each runs and its address on the simulated LAN.
fn print_nodes(scenario: &Scenario, out: &Output) {
    let nodes: Vec<String> = scenario
        .nodes
        .iter()
        .map(|n| {
            let source = scenario.source(&n.name);
            let source = if scenario.is_keepalived(&n.name) {
                out.paint(source, Style::new().cyan())
            } else {
                source.to_string()
            };
            format!("{} ({source}, {})", n.name, n.addr)
        })
        .collect();
    println!("nodes: {}", nodes.join(", "));
}

fn print_timeline(scenario: &Scenario, report: &Report, out: &Output) {
    let mut table = out.table(&["time", "node", "instance", "transition", "reason"]);
    let mut steps = scenario.steps.iter().peekable();
    let step_row = |s: &TimedStep, table: &mut comfy_table::Table| {
        let text = s.to_string();
        let what = text.rsplit_once('@').map_or(text.as_str(), |(w, _)| w);
        table.add_row(vec![
            secs(s.at),
            String::new(),
            String::new(),
            out.paint(&format!("» {what}"), Style::new().yellow()),
            String::new(),
        ]);
    };
    for e in &report.timeline {
        while let Some(s) = steps.next_if(|s| Time::ZERO + s.at <= e.at) {
            step_row(s, &mut table);
        }
        table.add_row(vec![
            t(e.at),
            e.node.clone(),
            format!("{} (VRID {})", e.instance, e.vrid),
            format!(
                "{} -> {}",
                out.paint(e.from.as_str(), state_style(e.from)),
                out.paint(e.to.as_str(), state_style(e.to))
            ),
            e.reason.clone(),
        ]);
    }
    for s in steps {
        step_row(s, &mut table);
    }
    println!("{table}");
    println!("(simulated {} in virtual time)", t(report.end));
}

/// VIP -> owners at the end of the run.
fn final_vips(report: &Report) -> BTreeMap<IpAddr, Vec<String>> {
    let mut last = BTreeMap::new();
    for o in &report.vip_owners {
        last.insert(o.vip, o.owners.clone());
    }
    last
}

fn print_final(report: &Report, out: &Output) {
    println!();
    let mut table = out.table(&["VIP", "owner at the end", "instance", "MASTER"]);
    let vips = final_vips(report);
    for (vip, owners) in &vips {
        let who = match owners.len() {
            0 => out.paint("nobody", Style::new().red().bold()),
            1 => owners[0].clone(),
            _ => out.paint(&owners.join(", "), Style::new().red().bold()),
        };
        let inst: Vec<&str> = report
            .instances
            .iter()
            .filter(|i| owners.contains(&i.node) || owners.is_empty())
            .map(|i| i.instance.as_str())
            .collect();
        let mut inst = inst;
        inst.sort();
        inst.dedup();
        let masters: Vec<String> = report
            .instances
            .iter()
            .filter(|i| i.state == State::Master && inst.contains(&i.instance.as_str()))
            .map(|i| format!("{} ({})", i.node, i.effective_priority))
            .collect();
        table.add_row(vec![
            vip.to_string(),
            who,
            inst.join(", "),
            masters.join(", "),
        ]);
    }
    println!("{table}");
}

fn print_findings(f: &[Finding], out: &Output) {
    let shown: Vec<&Finding> = f.iter().collect();
    if shown.is_empty() {
        println!(
            "\n{} no split brain, no window without a master, no flapping",
            out.paint("ok:", Style::new().green().bold())
        );
        return;
    }
    println!();
    for x in shown {
        let style = match x.severity {
            "error" => Style::new().red().bold(),
            "warning" => Style::new().yellow().bold(),
            _ => Style::new().cyan().bold(),
        };
        let head = out.paint(&format!("{}[{}]:", x.severity, x.code), style);
        println!("{head} {}", x.message);
        if let Some(at) = &x.at {
            println!("  --> {at}");
        }
        if let Some(h) = &x.help {
            println!("  = help: {h}");
        }
    }
}

fn print_drill(d: &drill::Drill, out: &Output) {
    let mut table = out.table(&[
        "time",
        "drill step",
        "VRID",
        "master before -> after",
        "takeover after",
        "no master for",
    ]);
    let names = |v: &[String]| {
        if v.is_empty() {
            "nobody".to_string()
        } else {
            v.join(",")
        }
    };
    for r in &d.rows {
        let down = Duration::from_micros((r.downtime_ms * 1000.0).round() as u64);
        let takeover = r
            .takeover_ms
            .map(|m| secs(Duration::from_micros((m * 1000.0).round() as u64)))
            .unwrap_or_else(|| "-".into());
        let down_text = if down.is_zero() {
            "0".to_string()
        } else {
            out.paint(&secs(down), Style::new().yellow())
        };
        table.add_row(vec![
            secs(Duration::from_micros((r.at_ms * 1000.0) as u64)),
            r.step.clone(),
            r.vrid.to_string(),
            format!("{} -> {}", names(&r.before), names(&r.after)),
            takeover,
            down_text,
        ]);
    }
    println!("{table}");
    println!(
        "(drill: every node crashed and restarted in turn, then every tracker failed and recovered; {} of virtual time)",
        t(d.run.report.end)
    );
}

/// DESIGN.md's `{"events", "final", "warnings"}` plus the details.
fn report_json(scenario: &Scenario, report: &Report, f: &[Finding]) -> Value {
    let vips = final_vips(report);
    let mut fin = serde_json::Map::new();
    for i in &report.instances {
        let e = fin
            .entry(i.instance.clone())
            .or_insert_with(|| json!({"vrid": i.vrid, "master": [], "states": {}, "vips": {}}));
        if i.state == State::Master {
            if let Some(m) = e["master"].as_array_mut() {
                m.push(json!(i.node));
            }
        }
        e["states"][&i.node] = json!(i.state.as_str());
    }
    for n in &scenario.nodes {
        for inst in &n.loaded.config.instances {
            if let Some(e) = fin.get_mut(&inst.name) {
                for v in &inst.virtual_ipaddress {
                    e["vips"][v.addr.to_string()] =
                        json!(vips.get(&v.addr).cloned().unwrap_or_default());
                }
            }
        }
    }
    for e in fin.values_mut() {
        let owner = e["master"]
            .as_array()
            .and_then(|m| (m.len() == 1).then(|| m[0].clone()))
            .unwrap_or(Value::Null);
        e["owner"] = owner;
    }
    json!({
        "events": report.timeline,
        "final": fin,
        "warnings": f,
        "steps": scenario.steps.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "nodes": scenario.nodes.iter().map(|n| json!({"name": n.name, "address": n.addr.to_string(), "file": n.loaded.path.display().to_string(), "source": scenario.source(&n.name)})).collect::<Vec<_>>(),
        "split_brains": report.split_brains,
        "vip_owners": report.vip_owners,
        "instances": report.instances,
        "packets": report.packets,
        "end_ms": (report.end - Time::ZERO).as_micros() as f64 / 1000.0,
    })
}
