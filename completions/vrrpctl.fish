# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vrrpctl_global_optspecs
    string join \n json color= h/help V/version
end

function __fish_vrrpctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vrrpctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vrrpctl_using_subcommand
    set -l cmd (__fish_vrrpctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "status" -d 'Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "dump-stats" -d 'Show the per-instance counters (keepalived\'s names: advert_rcvd, auth_failure, ...)'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "demote" -d 'Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "restore" -d 'End a demotion: the instances compete for mastership again'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "sniff" -d 'Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "lint" -d 'Check keepalived.conf files for errors and the mistakes that bite operators'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "lint-config" -d 'Check keepalived.conf files for errors and the mistakes that bite operators'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "firewall-check" -d 'Will this host\'s firewall (nftables, iptables, firewalld) let VRRP adverts in and out?'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "simulate-failover" -d 'Rehearse failures of a cluster described by its nodes\' configs, in virtual time'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c vrrpctl -n "__fish_vrrpctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -l socket -d 'vrrpd\'s control socket' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -l keepalived-pid -d 'keepalived\'s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -s w -l watch -d 'Keep running and print each transition as it happens (redraws the table on a terminal)'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -l socket -d 'vrrpd\'s control socket' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -l keepalived-pid -d 'keepalived\'s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -l format -d 'Output format (--json is the same as --format json)' -r -f -a "text\t''
json\t''
prometheus\t'Prometheus text exposition (for node_exporter\'s textfile collector)'"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -s o -l output -d 'Write to FILE atomically (a temporary file renamed over it) instead of stdout' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -l clear -d 'Zero the counters after reading them (needs root or the socket\'s owner)'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand dump-stats" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l socket -d 'vrrpd\'s control socket' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l keepalived-pid -d 'keepalived\'s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l reason -d 'Why (shown in status until restored)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l all -d 'Demote every instance'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l force -d 'Demote even when no other router was heard (its addresses may then have no master)'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand demote" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -l socket -d 'vrrpd\'s control socket' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -l keepalived-pid -d 'keepalived\'s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -l all -d 'Restore every instance'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand restore" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s i -l interface -d 'Capture live on this interface (needs root or CAP_NET_RAW)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s r -l read -d 'Read packets from a pcap or pcapng file instead of capturing' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s w -l write -d 'Also write the VRRP packets seen to this pcap file' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s c -l count -d 'Stop after this many VRRP packets' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -l vrid -d 'Only packets for this virtual router id' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s v -l verbose -d 'Add the IP header details (TTL, TOS, length, checksum) to each line'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -l no-summary -d 'Do not print the per-VRID summary at the end'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand sniff" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint" -s i -l config-id -d 'Config id for `@id` lines, as keepalived\'s -i/--config-id (default: the short hostname)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint-config" -s i -l config-id -d 'Config id for `@id` lines, as keepalived\'s -i/--config-id (default: the short hostname)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint-config" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint-config" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint-config" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand lint-config" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l config -d 'keepalived.conf whose instances are checked (default when no -i is given)' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -s i -l interface -d 'Check this interface by hand instead of (or to narrow) the config\'s instances' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l peer -d 'A peer that sends adverts to this host (repeatable); narrows multicast instances' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l family -d 'Address family to check with -i' -r -f -a "4\t''
6\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l group -d 'Destination group (default 224.0.0.18 / ff02::12)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l local -d 'This host\'s address on the interface, ADDR or ADDR/LEN (default: read from the interface)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l backend -d 'Which firewall to read' -r -f -a "auto\t''
nftables\t''
iptables\t''
firewalld\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l nft-json -d 'Read this saved `nft -j list ruleset` output instead of the live rule set' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l iptables-save -d 'Read this saved `iptables-save` / `ip6tables-save` output (repeatable)' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l firewalld-root -d 'Read firewalld\'s permanent config under this root instead of /' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l unicast -d 'With -i: the peers send unicast adverts to this host\'s address instead of the group'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand firewall-check" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l scenario -d 'A scenario: a directory with the nodes\' *.conf files and an `events` file, or an events file (one event a line, e.g. `crash:node1@5s`, and `until 40s`, `loss 5`, `delay 2ms`)' -r -F
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l crash -d 'Crash a node (no priority-0 advert) at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l stop -d 'Stop a node gracefully (priority-0 advert) at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l start -d 'Start (restart) a node at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l link-down -d 'An interface of the node (all of them without IFACE) goes down at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l link-up -d 'The interface comes back up at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l script-fail -d 'A vrrp_script (or tracked process/file) starts failing at T; it counts after `fall` runs' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l script-ok -d 'The script succeeds again from T; it counts after `rise` runs' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l block-vrrp -d 'The node\'s firewall starts dropping inbound VRRP (protocol 112) at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l unblock-vrrp -d 'The node\'s firewall lets VRRP in again at T' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l partition -d 'Split the LAN at T: nodes in different groups do not hear each other, e.g. `a,b|c@5s`' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l heal -d 'End every partition at T (`--heal 20s` or `--heal @20s`)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l loss -d 'Lose this percentage of packets on every link' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l delay -d 'One-way delay of every link, in milliseconds' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l event -d 'Any event in the simulator\'s text form, e.g. `priority:node1=50@4s` (repeatable)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l until -d 'Simulate until T (default: until the cluster is quiet after the last event)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l seed -d 'Seed of the packet-loss generator (runs are reproducible per seed)' -r
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l bench -d 'Measure the simulator\'s speed (simulated seconds per real second) and exit'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand simulate-failover" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand completions" -l color -d 'When to color the output; NO_COLOR in the environment means never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand completions" -l json -d 'Print JSON (one document, or JSON lines for streams) instead of text'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "status" -d 'Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "dump-stats" -d 'Show the per-instance counters (keepalived\'s names: advert_rcvd, auth_failure, ...)'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "demote" -d 'Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "restore" -d 'End a demotion: the instances compete for mastership again'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "sniff" -d 'Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "lint" -d 'Check keepalived.conf files for errors and the mistakes that bite operators'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "firewall-check" -d 'Will this host\'s firewall (nftables, iptables, firewalld) let VRRP adverts in and out?'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "simulate-failover" -d 'Rehearse failures of a cluster described by its nodes\' configs, in virtual time'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c vrrpctl -n "__fish_vrrpctl_using_subcommand help; and not __fish_seen_subcommand_from status dump-stats demote restore sniff lint firewall-check simulate-failover completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
