from allychain.cli.main import main

main()
