from pharmcheck.entry import main

main()
