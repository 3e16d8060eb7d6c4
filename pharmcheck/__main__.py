from pharmcheck.cli import main

main()
