//! The shared namespace harness itself: two hosts on a bridge can ping each other and
//! everything is gone afterwards.
mod common;
use common::*;

#[test]
fn lan_of_two_hosts_pings_and_cleans_up() {
    if !require_root() {
        return;
    }
    let names;
    {
        let lan = Lan::new("hs", 2);
        lan.addr(0, "192.0.2.1/24");
        lan.addr(1, "192.0.2.2/24");
        lan.hosts[0].exec(&["ping", "-c", "1", "-W", "2", "192.0.2.2"]);
        names = vec![
            lan.hosts[0].name.clone(),
            lan.hosts[1].name.clone(),
            lan.switch.name.clone(),
        ];
    }
    let listed = String::from_utf8_lossy(&run(&["ip", "netns", "list"]).stdout).to_string();
    for n in names {
        assert!(!listed.contains(&n), "namespace {n} left behind: {listed}");
    }
}
