
use builtin;
use str;

set edit:completion:arg-completer[vrrpctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'vrrpctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'vrrpctl'= {
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs'
            cand dump-stats 'Show the per-instance counters (keepalived''s names: advert_rcvd, auth_failure, ...)'
            cand demote 'Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`'
            cand restore 'End a demotion: the instances compete for mastership again'
            cand sniff 'Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary'
            cand lint 'Check keepalived.conf files for errors and the mistakes that bite operators'
            cand lint-config 'Check keepalived.conf files for errors and the mistakes that bite operators'
            cand firewall-check 'Will this host''s firewall (nftables, iptables, firewalld) let VRRP adverts in and out?'
            cand simulate-failover 'Rehearse failures of a cluster described by its nodes'' configs, in virtual time'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vrrpctl;status'= {
            cand --socket 'vrrpd''s control socket'
            cand --keepalived-pid 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand -w 'Keep running and print each transition as it happens (redraws the table on a terminal)'
            cand --watch 'Keep running and print each transition as it happens (redraws the table on a terminal)'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;dump-stats'= {
            cand --socket 'vrrpd''s control socket'
            cand --keepalived-pid 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead'
            cand --format 'Output format (--json is the same as --format json)'
            cand -o 'Write to FILE atomically (a temporary file renamed over it) instead of stdout'
            cand --output 'Write to FILE atomically (a temporary file renamed over it) instead of stdout'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --clear 'Zero the counters after reading them (needs root or the socket''s owner)'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;demote'= {
            cand --socket 'vrrpd''s control socket'
            cand --keepalived-pid 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead'
            cand --reason 'Why (shown in status until restored)'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --all 'Demote every instance'
            cand --force 'Demote even when no other router was heard (its addresses may then have no master)'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;restore'= {
            cand --socket 'vrrpd''s control socket'
            cand --keepalived-pid 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --all 'Restore every instance'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;sniff'= {
            cand -i 'Capture live on this interface (needs root or CAP_NET_RAW)'
            cand --interface 'Capture live on this interface (needs root or CAP_NET_RAW)'
            cand -r 'Read packets from a pcap or pcapng file instead of capturing'
            cand --read 'Read packets from a pcap or pcapng file instead of capturing'
            cand -w 'Also write the VRRP packets seen to this pcap file'
            cand --write 'Also write the VRRP packets seen to this pcap file'
            cand -c 'Stop after this many VRRP packets'
            cand --count 'Stop after this many VRRP packets'
            cand --vrid 'Only packets for this virtual router id'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand -v 'Add the IP header details (TTL, TOS, length, checksum) to each line'
            cand --verbose 'Add the IP header details (TTL, TOS, length, checksum) to each line'
            cand --no-summary 'Do not print the per-VRID summary at the end'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;lint'= {
            cand -i 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)'
            cand --config-id 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;lint-config'= {
            cand -i 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)'
            cand --config-id 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;firewall-check'= {
            cand --config 'keepalived.conf whose instances are checked (default when no -i is given)'
            cand -i 'Check this interface by hand instead of (or to narrow) the config''s instances'
            cand --interface 'Check this interface by hand instead of (or to narrow) the config''s instances'
            cand --peer 'A peer that sends adverts to this host (repeatable); narrows multicast instances'
            cand --family 'Address family to check with -i'
            cand --group 'Destination group (default 224.0.0.18 / ff02::12)'
            cand --local 'This host''s address on the interface, ADDR or ADDR/LEN (default: read from the interface)'
            cand --backend 'Which firewall to read'
            cand --nft-json 'Read this saved `nft -j list ruleset` output instead of the live rule set'
            cand --iptables-save 'Read this saved `iptables-save` / `ip6tables-save` output (repeatable)'
            cand --firewalld-root 'Read firewalld''s permanent config under this root instead of /'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --unicast 'With -i: the peers send unicast adverts to this host''s address instead of the group'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;simulate-failover'= {
            cand --scenario 'A scenario: a directory with the nodes'' *.conf files and an `events` file, or an events file (one event a line, e.g. `crash:node1@5s`, and `until 40s`, `loss 5`, `delay 2ms`)'
            cand --crash 'Crash a node (no priority-0 advert) at T'
            cand --stop 'Stop a node gracefully (priority-0 advert) at T'
            cand --start 'Start (restart) a node at T'
            cand --link-down 'An interface of the node (all of them without IFACE) goes down at T'
            cand --link-up 'The interface comes back up at T'
            cand --script-fail 'A vrrp_script (or tracked process/file) starts failing at T; it counts after `fall` runs'
            cand --script-ok 'The script succeeds again from T; it counts after `rise` runs'
            cand --block-vrrp 'The node''s firewall starts dropping inbound VRRP (protocol 112) at T'
            cand --unblock-vrrp 'The node''s firewall lets VRRP in again at T'
            cand --partition 'Split the LAN at T: nodes in different groups do not hear each other, e.g. `a,b|c@5s`'
            cand --heal 'End every partition at T (`--heal 20s` or `--heal @20s`)'
            cand --loss 'Lose this percentage of packets on every link'
            cand --delay 'One-way delay of every link, in milliseconds'
            cand --event 'Any event in the simulator''s text form, e.g. `priority:node1=50@4s` (repeatable)'
            cand --until 'Simulate until T (default: until the cluster is quiet after the last event)'
            cand --seed 'Seed of the packet-loss generator (runs are reproducible per seed)'
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --bench 'Measure the simulator''s speed (simulated seconds per real second) and exit'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;completions'= {
            cand --color 'When to color the output; NO_COLOR in the environment means never'
            cand --json 'Print JSON (one document, or JSON lines for streams) instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'vrrpctl;help'= {
            cand status 'Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs'
            cand dump-stats 'Show the per-instance counters (keepalived''s names: advert_rcvd, auth_failure, ...)'
            cand demote 'Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`'
            cand restore 'End a demotion: the instances compete for mastership again'
            cand sniff 'Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary'
            cand lint 'Check keepalived.conf files for errors and the mistakes that bite operators'
            cand firewall-check 'Will this host''s firewall (nftables, iptables, firewalld) let VRRP adverts in and out?'
            cand simulate-failover 'Rehearse failures of a cluster described by its nodes'' configs, in virtual time'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vrrpctl;help;status'= {
        }
        &'vrrpctl;help;dump-stats'= {
        }
        &'vrrpctl;help;demote'= {
        }
        &'vrrpctl;help;restore'= {
        }
        &'vrrpctl;help;sniff'= {
        }
        &'vrrpctl;help;lint'= {
        }
        &'vrrpctl;help;firewall-check'= {
        }
        &'vrrpctl;help;simulate-failover'= {
        }
        &'vrrpctl;help;completions'= {
        }
        &'vrrpctl;help;help'= {
        }
    ]
    $completions[$command]
}
