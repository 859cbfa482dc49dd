"""One module per command group; `geoproxy.cli.app` registers them."""
