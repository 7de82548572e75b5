
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'vrrpctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'vrrpctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'vrrpctl' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs')
            [CompletionResult]::new('dump-stats', 'dump-stats', [CompletionResultType]::ParameterValue, 'Show the per-instance counters (keepalived''s names: advert_rcvd, auth_failure, ...)')
            [CompletionResult]::new('demote', 'demote', [CompletionResultType]::ParameterValue, 'Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'End a demotion: the instances compete for mastership again')
            [CompletionResult]::new('sniff', 'sniff', [CompletionResultType]::ParameterValue, 'Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Check keepalived.conf files for errors and the mistakes that bite operators')
            [CompletionResult]::new('lint-config', 'lint-config', [CompletionResultType]::ParameterValue, 'Check keepalived.conf files for errors and the mistakes that bite operators')
            [CompletionResult]::new('firewall-check', 'firewall-check', [CompletionResultType]::ParameterValue, 'Will this host''s firewall (nftables, iptables, firewalld) let VRRP adverts in and out?')
            [CompletionResult]::new('simulate-failover', 'simulate-failover', [CompletionResultType]::ParameterValue, 'Rehearse failures of a cluster described by its nodes'' configs, in virtual time')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vrrpctl;status' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'vrrpd''s control socket')
            [CompletionResult]::new('--keepalived-pid', '--keepalived-pid', [CompletionResultType]::ParameterName, 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Keep running and print each transition as it happens (redraws the table on a terminal)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep running and print each transition as it happens (redraws the table on a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;dump-stats' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'vrrpd''s control socket')
            [CompletionResult]::new('--keepalived-pid', '--keepalived-pid', [CompletionResultType]::ParameterName, 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is the same as --format json)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE atomically (a temporary file renamed over it) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE atomically (a temporary file renamed over it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--clear', '--clear', [CompletionResultType]::ParameterName, 'Zero the counters after reading them (needs root or the socket''s owner)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;demote' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'vrrpd''s control socket')
            [CompletionResult]::new('--keepalived-pid', '--keepalived-pid', [CompletionResultType]::ParameterName, 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why (shown in status until restored)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Demote every instance')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Demote even when no other router was heard (its addresses may then have no master)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;restore' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'vrrpd''s control socket')
            [CompletionResult]::new('--keepalived-pid', '--keepalived-pid', [CompletionResultType]::ParameterName, 'keepalived''s pid file, used when no vrrpd listens on the socket: keepalived is asked for its JSON dump instead')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Restore every instance')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;sniff' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Capture live on this interface (needs root or CAP_NET_RAW)')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Capture live on this interface (needs root or CAP_NET_RAW)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Read packets from a pcap or pcapng file instead of capturing')
            [CompletionResult]::new('--read', '--read', [CompletionResultType]::ParameterName, 'Read packets from a pcap or pcapng file instead of capturing')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Also write the VRRP packets seen to this pcap file')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Also write the VRRP packets seen to this pcap file')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Stop after this many VRRP packets')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after this many VRRP packets')
            [CompletionResult]::new('--vrid', '--vrid', [CompletionResultType]::ParameterName, 'Only packets for this virtual router id')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Add the IP header details (TTL, TOS, length, checksum) to each line')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Add the IP header details (TTL, TOS, length, checksum) to each line')
            [CompletionResult]::new('--no-summary', '--no-summary', [CompletionResultType]::ParameterName, 'Do not print the per-VRID summary at the end')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;lint' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)')
            [CompletionResult]::new('--config-id', '--config-id', [CompletionResultType]::ParameterName, 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;lint-config' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)')
            [CompletionResult]::new('--config-id', '--config-id', [CompletionResultType]::ParameterName, 'Config id for `@id` lines, as keepalived''s -i/--config-id (default: the short hostname)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;firewall-check' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'keepalived.conf whose instances are checked (default when no -i is given)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Check this interface by hand instead of (or to narrow) the config''s instances')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Check this interface by hand instead of (or to narrow) the config''s instances')
            [CompletionResult]::new('--peer', '--peer', [CompletionResultType]::ParameterName, 'A peer that sends adverts to this host (repeatable); narrows multicast instances')
            [CompletionResult]::new('--family', '--family', [CompletionResultType]::ParameterName, 'Address family to check with -i')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Destination group (default 224.0.0.18 / ff02::12)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'This host''s address on the interface, ADDR or ADDR/LEN (default: read from the interface)')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Which firewall to read')
            [CompletionResult]::new('--nft-json', '--nft-json', [CompletionResultType]::ParameterName, 'Read this saved `nft -j list ruleset` output instead of the live rule set')
            [CompletionResult]::new('--iptables-save', '--iptables-save', [CompletionResultType]::ParameterName, 'Read this saved `iptables-save` / `ip6tables-save` output (repeatable)')
            [CompletionResult]::new('--firewalld-root', '--firewalld-root', [CompletionResultType]::ParameterName, 'Read firewalld''s permanent config under this root instead of /')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--unicast', '--unicast', [CompletionResultType]::ParameterName, 'With -i: the peers send unicast adverts to this host''s address instead of the group')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;simulate-failover' {
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'A scenario: a directory with the nodes'' *.conf files and an `events` file, or an events file (one event a line, e.g. `crash:node1@5s`, and `until 40s`, `loss 5`, `delay 2ms`)')
            [CompletionResult]::new('--crash', '--crash', [CompletionResultType]::ParameterName, 'Crash a node (no priority-0 advert) at T')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop a node gracefully (priority-0 advert) at T')
            [CompletionResult]::new('--start', '--start', [CompletionResultType]::ParameterName, 'Start (restart) a node at T')
            [CompletionResult]::new('--link-down', '--link-down', [CompletionResultType]::ParameterName, 'An interface of the node (all of them without IFACE) goes down at T')
            [CompletionResult]::new('--link-up', '--link-up', [CompletionResultType]::ParameterName, 'The interface comes back up at T')
            [CompletionResult]::new('--script-fail', '--script-fail', [CompletionResultType]::ParameterName, 'A vrrp_script (or tracked process/file) starts failing at T; it counts after `fall` runs')
            [CompletionResult]::new('--script-ok', '--script-ok', [CompletionResultType]::ParameterName, 'The script succeeds again from T; it counts after `rise` runs')
            [CompletionResult]::new('--block-vrrp', '--block-vrrp', [CompletionResultType]::ParameterName, 'The node''s firewall starts dropping inbound VRRP (protocol 112) at T')
            [CompletionResult]::new('--unblock-vrrp', '--unblock-vrrp', [CompletionResultType]::ParameterName, 'The node''s firewall lets VRRP in again at T')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Split the LAN at T: nodes in different groups do not hear each other, e.g. `a,b|c@5s`')
            [CompletionResult]::new('--heal', '--heal', [CompletionResultType]::ParameterName, 'End every partition at T (`--heal 20s` or `--heal @20s`)')
            [CompletionResult]::new('--loss', '--loss', [CompletionResultType]::ParameterName, 'Lose this percentage of packets on every link')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'One-way delay of every link, in milliseconds')
            [CompletionResult]::new('--event', '--event', [CompletionResultType]::ParameterName, 'Any event in the simulator''s text form, e.g. `priority:node1=50@4s` (repeatable)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Simulate until T (default: until the cluster is quiet after the last event)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the packet-loss generator (runs are reproducible per seed)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--bench', '--bench', [CompletionResultType]::ParameterName, 'Measure the simulator''s speed (simulated seconds per real second) and exit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the output; NO_COLOR in the environment means never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (one document, or JSON lines for streams) instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'vrrpctl;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs')
            [CompletionResult]::new('dump-stats', 'dump-stats', [CompletionResultType]::ParameterValue, 'Show the per-instance counters (keepalived''s names: advert_rcvd, auth_failure, ...)')
            [CompletionResult]::new('demote', 'demote', [CompletionResultType]::ParameterValue, 'Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'End a demotion: the instances compete for mastership again')
            [CompletionResult]::new('sniff', 'sniff', [CompletionResultType]::ParameterValue, 'Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Check keepalived.conf files for errors and the mistakes that bite operators')
            [CompletionResult]::new('firewall-check', 'firewall-check', [CompletionResultType]::ParameterValue, 'Will this host''s firewall (nftables, iptables, firewalld) let VRRP adverts in and out?')
            [CompletionResult]::new('simulate-failover', 'simulate-failover', [CompletionResultType]::ParameterValue, 'Rehearse failures of a cluster described by its nodes'' configs, in virtual time')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vrrpctl;help;status' {
            break
        }
        'vrrpctl;help;dump-stats' {
            break
        }
        'vrrpctl;help;demote' {
            break
        }
        'vrrpctl;help;restore' {
            break
        }
        'vrrpctl;help;sniff' {
            break
        }
        'vrrpctl;help;lint' {
            break
        }
        'vrrpctl;help;firewall-check' {
            break
        }
        'vrrpctl;help;simulate-failover' {
            break
        }
        'vrrpctl;help;completions' {
            break
        }
        'vrrpctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
