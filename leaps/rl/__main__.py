from leaps.rl.app import main

main()
