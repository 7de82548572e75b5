complete --keep-order --exclusive --command vrrpctl --arguments "(COMPLETE=fish vrrpctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
