//! Who scripts run as (keepalived 2.2.7 lib/notify.c): a script's own `user [group]`, else
//! global_defs' `script_user`, else the user `keepalived_script` when it exists, else vrrpd's
//! own user. The uid/gid are applied when the script is spawned (setgid, setuid and the
//! user's supplementary groups, in the child before exec).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::config::model::GlobalDefs;

/// A looked-up `user [group]`: its uid and gid, or keepalived's message why not.
type Lookup = Result<(u32, u32), String>;

/// The default script user and a cache of looked-up names.
pub struct ScriptUsers {
    /// The default `(uid, gid)`; None: vrrpd's own. Without `script_user` it is looked up
    /// when a script first needs it, as keepalived's get_default_script_user does: a config
    /// without scripts never asks the user database, whose NSS modules (libnss_systemd with
    /// libm and libcap here) would stay mapped for good, ~0.7 MiB of RSS.
    default: OnceLock<Option<(u32, u32)>>,
    /// `script_user` (or keepalived_script) could not be resolved: scripts without their own
    /// user do not run (keepalived: "Unable to set default user").
    pub default_failed: bool,
    cache: Mutex<HashMap<(String, Option<String>), Lookup>>,
}

impl Default for ScriptUsers {
    /// vrrpd's own user, without a look-up (tests).
    fn default() -> ScriptUsers {
        ScriptUsers {
            default: OnceLock::from(None),
            default_failed: false,
            cache: Mutex::default(),
        }
    }
}

impl ScriptUsers {
    /// Resolve the default as keepalived does: `script_user` at once (keepalived resolves it
    /// when it parses the keyword), `keepalived_script` on first use. `script_security` makes
    /// a missing keepalived_script user an error only when script_user was given (keepalived
    /// logs it).
    pub fn new(g: &GlobalDefs) -> ScriptUsers {
        let mut u = ScriptUsers {
            default: OnceLock::new(),
            ..ScriptUsers::default()
        };
        if let Some((user, group)) = &g.script_user {
            let ids = match u.lookup(user, group.as_deref()) {
                Ok(ids) => Some(ids),
                Err(e) => {
                    tracing::error!(
                        "script_user {user}: {e}; scripts without their own user will not run"
                    );
                    u.default_failed = true;
                    None
                }
            };
            u.default = OnceLock::from(ids);
        }
        u
    }

    /// The default `(uid, gid)`, looking `keepalived_script` up the first time.
    fn default_ids(&self) -> Option<(u32, u32)> {
        *self
            .default
            .get_or_init(|| self.lookup("keepalived_script", None).ok())
    }

    /// uid and gid of `user` (with `group`'s gid when given), keepalived's messages on error.
    pub fn lookup(&self, user: &str, group: Option<&str>) -> Lookup {
        let key = (user.to_string(), group.map(str::to_string));
        if let Ok(c) = self.cache.lock() {
            if let Some(r) = c.get(&key) {
                return r.clone();
            }
        }
        let r = (|| {
            let pw = match nix::unistd::User::from_name(user) {
                Ok(Some(p)) => p,
                Ok(None) => return Err(format!("Script user '{user}' does not exist")),
                Err(e) => return Err(format!("Unable to resolve script username '{user}' ({e})")),
            };
            let mut gid = pw.gid.as_raw();
            if let Some(g) = group {
                match nix::unistd::Group::from_name(g) {
                    Ok(Some(gr)) => gid = gr.gid.as_raw(),
                    Ok(None) => return Err(format!("Script group '{g}' does not exist")),
                    Err(e) => {
                        return Err(format!("Unable to resolve script group name '{g}' ({e})"))
                    }
                }
            }
            Ok((pw.uid.as_raw(), gid))
        })();
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, r.clone());
        }
        r
    }

    /// The credentials a script with this `user [group]` runs with (None: vrrpd's own).
    /// An unknown user is logged and falls back to the default, as the config loader
    /// cannot refuse it any more.
    pub fn for_script(&self, user: Option<&str>, group: Option<&str>) -> Option<(u32, u32)> {
        match user {
            Some(u) => match self.lookup(u, group) {
                Ok(ids) => Some(ids),
                Err(e) => {
                    tracing::error!("{e} - running the script as the default script user");
                    self.default_ids()
                }
            },
            None => self.default_ids(),
        }
    }

    /// The uid scripts without a user of their own run as.
    pub fn default_uid(&self) -> u32 {
        self.default_ids()
            .map_or_else(|| nix::unistd::getuid().as_raw(), |(u, _)| u)
    }
}
