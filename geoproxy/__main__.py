from geoproxy.cli.app import main

main()
