from tui_agent.cli import main

main()
