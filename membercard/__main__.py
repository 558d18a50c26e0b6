from membercard.cli import main

main()
