"""The one bridge between the pure RLEM core (:mod:`tui_agent.rlem`) and the LanceDB experience store
(:mod:`tui_agent.memory`): :mod:`.store_rows` keeps the replay's records as store rows. Nothing is imported
here.
"""
