//! One test per lint rule: it fires on a broken snippet (at the right place) and is silent on
//! the fixed one. Host-dependent rules run against a described host.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use vrrp::config::{load_str, Severity};
use vrrp::lint::host::FileInfo;
use vrrp::lint::{lint_loaded, Host};

struct FakeHost {
    ifaces: Vec<&'static str>,
    addrs: Vec<(&'static str, &'static str)>,
    files: Vec<(&'static str, FileInfo)>,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost {
            ifaces: vec!["lo", "eth0", "eth1"],
            addrs: vec![("eth0", "198.51.100.1")],
            files: Vec::new(),
        }
    }
}

impl Host for FakeHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.ifaces.contains(&name)
    }
    fn addresses(&self) -> Vec<(String, IpAddr)> {
        self.addrs
            .iter()
            .map(|(i, a)| (i.to_string(), a.parse().unwrap()))
            .collect()
    }
    fn file_info(&self, path: &Path) -> Option<FileInfo> {
        self.files
            .iter()
            .find(|(p, _)| Path::new(p) == path)
            .map(|(_, i)| *i)
    }
    fn which(&self, name: &str) -> Option<PathBuf> {
        (name == "check.sh").then(|| PathBuf::from("/usr/local/bin/check.sh"))
    }
}

/// (code, severity, line) of every finding of `rule` (loader findings included).
fn find_on(host: &FakeHost, rule: &str, text: &str) -> Vec<(Severity, u32, u32)> {
    let l = load_str("/t/keepalived.conf", text);
    l.diagnostics
        .iter()
        .cloned()
        .chain(lint_loaded(&l, host))
        .filter(|d| d.code == rule)
        .map(|d| (d.severity, d.span.line, d.span.column))
        .collect()
}

fn find(rule: &str, text: &str) -> Vec<(Severity, u32, u32)> {
    find_on(&FakeHost::default(), rule, text)
}

/// An instance with `body` inside; line 1 is `vrrp_instance`, body starts at line 5.
fn inst(body: &str) -> String {
    format!("vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {{ 192.0.2.10/24 }}\n{body}\n}}\n")
}

use Severity::{Error, Note, Warning};

#[test]
fn syntax_error() {
    assert_eq!(
        find("syntax-error", &inst("    priority 100 \"x")),
        vec![(Error, 5, 18)]
    );
    assert_eq!(
        find("syntax-error", "vrrp_instance A {\n}\n}\n"),
        vec![(Error, 3, 1)]
    );
    assert!(find("syntax-error", &inst("    priority 100")).is_empty());
}

#[test]
fn unknown_keyword_with_did_you_mean() {
    let text = inst("    prority 100");
    assert_eq!(find("unknown-keyword", &text), vec![(Error, 5, 5)]);
    let l = load_str("/t/k.conf", &text);
    let d = lint_loaded(&l, &FakeHost::default());
    let help = d
        .iter()
        .find(|d| d.code == "unknown-keyword")
        .and_then(|d| d.help.clone());
    assert_eq!(help.as_deref(), Some("did you mean `priority`?"));
    assert!(find("unknown-keyword", &inst("    priority 100")).is_empty());
    // keepalived -t checks virtual_server blocks too (vrrpd does not run them), so lint does:
    // a typo there fails keepalived.
    assert_eq!(
        find(
            "unknown-keyword",
            "virtual_server 192.0.2.1 80 {\n  delay_lop 6\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n      conect_timeout 3\n    }\n  }\n}\n"
        ),
        vec![(Error, 2, 3), (Error, 5, 7)]
    );
    // Value lists are not checked word by word.
    assert!(find(
        "unknown-keyword",
        "virtual_server_group G {\n  192.0.2.1 80\n}\n"
    )
    .is_empty());
}

#[test]
fn missing_required() {
    let t = "vrrp_instance A {\n  interface eth0\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n";
    assert_eq!(find("missing-required", t), vec![(Error, 1, 1)]);
    assert!(find("missing-required", &inst("")).is_empty());
}

#[test]
fn value_out_of_range() {
    assert_eq!(
        find("value-out-of-range", &inst("    priority 300")),
        vec![(Error, 5, 14)]
    );
    assert!(find("value-out-of-range", &inst("    priority 200")).is_empty());
}

#[test]
fn duplicate_vrid() {
    let two = |vrid: u8| {
        format!("{}vrrp_instance VI_2 {{\n  interface eth0\n  virtual_router_id {vrid}\n  virtual_ipaddress {{\n    192.0.2.20\n  }}\n}}\n", inst(""))
    };
    assert_eq!(find("duplicate-vrid", &two(51)), vec![(Error, 9, 3)]);
    assert!(find("duplicate-vrid", &two(52)).is_empty());
}

#[test]
fn undefined_reference() {
    let t = |name: &str| {
        format!("vrrp_script chk_nginx {{\n  script \"/usr/bin/pgrep nginx\"\n}}\n{}vrrp_sync_group G {{\n  group {{\n    VI_1\n    {name}\n  }}\n}}\n", inst(&format!("    track_script {{\n      {}\n    }}", if name == "VI_1" { "chk_nginx" } else { "chk_ngnix" })))
    };
    assert_eq!(
        find("undefined-reference", &t("VI_2")),
        vec![(Error, 9, 7), (Error, 15, 5)]
    );
    assert!(find("undefined-reference", &t("VI_1")).is_empty());
}

#[test]
fn auth_pass_truncated() {
    let t = |p: &str| {
        inst(&format!(
            "    authentication {{\n      auth_type PASS\n      auth_pass {p}\n    }}"
        ))
    };
    assert_eq!(
        find("auth-pass-truncated", &t("1qazXSW@2wsx")),
        vec![(Warning, 7, 17)]
    );
    assert!(find("auth-pass-truncated", &t("1qazXSW@")).is_empty());
}

#[test]
fn script_not_absolute() {
    let t = |s: &str, sec: &str| {
        format!("global_defs {{\n{sec}\n}}\nvrrp_script chk {{\n  script \"{s} --quiet\"\n}}\n")
    };
    assert_eq!(
        find("script-not-absolute", &t("check.sh", "")),
        vec![(Warning, 5, 10)]
    );
    // keepalived -t accepts `script "killall -0 haproxy"` under enable_script_security too:
    // it searches PATH and runs what it finds (e2e_lint_differential checks the verdicts).
    assert_eq!(
        find(
            "script-not-absolute",
            &t("check.sh", "enable_script_security")
        ),
        vec![(Warning, 5, 10)]
    );
    assert!(find("script-not-absolute", &t("/usr/local/bin/check.sh", "")).is_empty());
}

#[test]
fn nopreempt_needs_backup() {
    assert_eq!(
        find(
            "nopreempt-needs-backup",
            &inst("    state MASTER\n    nopreempt")
        ),
        vec![(Warning, 6, 5)]
    );
    assert!(find(
        "nopreempt-needs-backup",
        &inst("    state BACKUP\n    nopreempt")
    )
    .is_empty());
}

#[test]
fn v2_subsecond_advert() {
    assert_eq!(
        // keepalived rounds the interval (a documented fix-up), so a warning.
        find("v2-subsecond-advert", &inst("    advert_int 0.5")),
        vec![(Warning, 5, 16)]
    );
    assert!(find(
        "v2-subsecond-advert",
        &inst("    version 3\n    advert_int 0.5")
    )
    .is_empty());
}

#[test]
fn ipv6_needs_v3() {
    let t = |v: u8| {
        format!("vrrp_instance A {{\n  interface eth0\n  virtual_router_id 1\n  version {v}\n  virtual_ipaddress {{\n    2001:db8::1/64\n  }}\n}}\n")
    };
    assert_eq!(find("ipv6-needs-v3", &t(2)), vec![(Warning, 4, 3)]);
    assert!(find("ipv6-needs-v3", &t(3)).is_empty());
}

#[test]
fn not_a_comment() {
    assert_eq!(
        find("not-a-comment", &inst("    priority 100   // main node")),
        vec![(Warning, 5, 20)]
    );
    assert_eq!(
        find("not-a-comment", &inst("    // the main node")),
        vec![(Error, 5, 5)]
    );
    assert!(find("not-a-comment", &inst("    priority 100   # main node")).is_empty());
}

#[test]
fn too_many_vips() {
    let t = |n: u32| {
        let vips: String = (1..=n).map(|i| format!("    192.0.2.{i}\n")).collect();
        format!("vrrp_instance A {{\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {{\n{vips}  }}\n}}\n")
    };
    assert_eq!(find("too-many-vips", &t(21)), vec![(Warning, 25, 5)]);
    assert!(find("too-many-vips", &t(20)).is_empty());
}

#[test]
fn v3_advert_int_rounded_or_capped_is_a_warning() {
    let v3 = |int: &str| {
        find(
            "value-out-of-range",
            &inst(&format!("    version 3\n    advert_int {int}")),
        )
    };
    assert_eq!(v3("0.145"), vec![(Warning, 6, 16)]);
    assert_eq!(v3("41"), vec![(Warning, 6, 16)]);
    assert!(v3("0.15").is_empty());
    assert!(v3("40.95").is_empty());
    // Out of the parser's range it is an error, and the default 1 s runs.
    assert_eq!(v3("300"), vec![(Error, 6, 16)]);
}

#[test]
fn strict_mode_conflict() {
    let t = |strict: &str| {
        format!(
            "global_defs {{\n  {strict}\n}}\n{}",
            inst("    authentication {\n      auth_type PASS\n      auth_pass secret\n    }")
        )
    };
    assert_eq!(
        find("strict-mode-conflict", &t("vrrp_strict")),
        vec![(Error, 8, 5)]
    );
    assert!(find("strict-mode-conflict", &t("")).is_empty());
    // `state` must follow priority 255 in strict mode; the loader already fixed the model, so
    // the rule reads what was written (global_defs takes lines 1-3, the body starts at 8).
    let s = |body: &str| format!("global_defs {{\n  vrrp_strict\n}}\n{}", inst(body));
    assert_eq!(
        find(
            "strict-mode-conflict",
            &s("    state MASTER\n    priority 150")
        ),
        vec![(Warning, 8, 5)]
    );
    assert_eq!(
        find(
            "strict-mode-conflict",
            &s("    state BACKUP\n    priority 255")
        ),
        vec![(Warning, 8, 5)]
    );
    assert!(find(
        "strict-mode-conflict",
        &s("    state MASTER\n    priority 255")
    )
    .is_empty());
}

#[test]
fn unsafe_script() {
    let t = "vrrp_script chk {\n  script /opt/chk.sh\n}\n";
    let info = |uid, mode| FileInfo { uid, gid: 0, mode };
    let bad = FakeHost {
        files: vec![
            ("/opt/chk.sh", info(0, 0o100777)),
            ("/opt", info(0, 0o40755)),
        ],
        ..Default::default()
    };
    assert_eq!(find_on(&bad, "unsafe-script", t), vec![(Warning, 2, 10)]);
    let dir = FakeHost {
        files: vec![
            ("/opt/chk.sh", info(0, 0o100755)),
            ("/opt", info(1000, 0o40755)),
        ],
        ..Default::default()
    };
    assert_eq!(find_on(&dir, "unsafe-script", t).len(), 1);
    let good = FakeHost {
        files: vec![
            ("/opt/chk.sh", info(0, 0o100755)),
            ("/opt", info(0, 0o40755)),
        ],
        ..Default::default()
    };
    assert!(find_on(&good, "unsafe-script", t).is_empty());
}

#[test]
fn interface_missing() {
    let t = |i: &str| format!("vrrp_instance A {{\n  interface {i}\n  virtual_router_id 1\n}}\n");
    assert_eq!(
        find("interface-missing", &t("enp3s0")),
        vec![(Warning, 2, 13)]
    );
    assert!(find("interface-missing", &t("eth1")).is_empty());
}

#[test]
fn mcast_group_nondefault() {
    let t = |g: &str| format!("global_defs {{\n  vrrp_mcast_group4 {g}\n}}\n");
    assert_eq!(
        find("mcast-group-nondefault", &t("224.0.0.19")),
        vec![(Warning, 2, 3)]
    );
    assert!(find("mcast-group-nondefault", &t("224.0.0.18")).is_empty());
}

#[test]
fn priority_owner() {
    let t = |vip: &str| {
        format!("vrrp_instance A {{\n  interface eth0\n  virtual_router_id 1\n  priority 255\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n")
    };
    assert_eq!(
        find("priority-owner", &t("192.0.2.10")),
        vec![(Warning, 4, 3)]
    );
    assert!(find("priority-owner", &t("198.51.100.1")).is_empty());
}

#[test]
fn unicast_self_peer() {
    let t = |p: &str| {
        inst(&format!(
            "    unicast_src_ip 192.0.2.2\n    unicast_peer {{\n      {p}\n    }}"
        ))
    };
    assert_eq!(
        find("unicast-self-peer", &t("192.0.2.2")),
        vec![(Warning, 7, 7)]
    );
    assert_eq!(
        find("unicast-self-peer", &t("198.51.100.1")),
        vec![(Warning, 7, 7)]
    );
    assert!(find("unicast-self-peer", &t("192.0.2.3")).is_empty());
}

#[test]
fn unicast_without_peers() {
    assert_eq!(
        find(
            "unicast-without-peers",
            &inst("    unicast_src_ip 192.0.2.2")
        ),
        vec![(Warning, 5, 5)]
    );
    assert!(find(
        "unicast-without-peers",
        &inst("    unicast_src_ip 192.0.2.2\n    unicast_peer {\n      192.0.2.3\n    }")
    )
    .is_empty());
}

#[test]
fn vip_is_interface_address() {
    let t = |vip: &str| {
        format!("vrrp_instance A {{\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n")
    };
    assert_eq!(
        find("vip-is-interface-address", &t("198.51.100.1")),
        vec![(Warning, 5, 5)]
    );
    assert!(find("vip-is-interface-address", &t("198.51.100.2")).is_empty());
}

#[test]
fn sync_group_drops_weight() {
    let t = |extra: &str| {
        format!("vrrp_script chk {{\n  script /bin/true\n  weight -20\n}}\n{}vrrp_sync_group G {{\n  group {{\n    VI_1\n  }}\n  {extra}\n}}\n", inst("    track_script {\n      chk\n    }"))
    };
    assert_eq!(
        find("sync-group-drops-weight", &t("")),
        vec![(Error, 10, 7)]
    );
    assert!(find("sync-group-drops-weight", &t("sync_group_tracking_weight")).is_empty());
}

#[test]
fn deprecated_keyword() {
    assert_eq!(
        find(
            "deprecated-keyword",
            "vrrp_track_file f {\n  file /run/x\n}\n"
        ),
        vec![(Warning, 1, 1)]
    );
    assert!(find("deprecated-keyword", "track_file f {\n  file /run/x\n}\n").is_empty());
}

#[test]
fn no_vips() {
    let t = "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n}\n";
    assert_eq!(find("no-vips", t), vec![(Warning, 1, 1)]);
    assert!(find("no-vips", &inst("")).is_empty());
}

#[test]
fn auth_ignored() {
    let t = |v: u8| {
        inst(&format!("    version {v}\n    authentication {{\n      auth_type PASS\n      auth_pass x\n    }}"))
    };
    assert_eq!(find("auth-ignored", &t(3)), vec![(Error, 6, 5)]);
    assert!(find("auth-ignored", &t(2)).is_empty());
}

#[test]
fn comment_in_word() {
    let t = |p: &str| {
        inst(&format!(
            "    authentication {{\n      auth_type PASS\n      auth_pass {p}\n    }}"
        ))
    };
    assert_eq!(find("comment-in-word", &t("ab#cd")), vec![(Warning, 7, 19)]);
    assert!(find("comment-in-word", &t("\"ab#cd\"")).is_empty());
}

#[test]
fn not_run_by_vrrpd() {
    assert_eq!(
        find(
            "not-run-by-vrrpd",
            "static_ipaddress {\n  192.0.2.5/24 dev eth0\n}\n"
        ),
        vec![(Note, 1, 1)]
    );
}
