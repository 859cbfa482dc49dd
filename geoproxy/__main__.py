from geoproxy.cli import main

main()
