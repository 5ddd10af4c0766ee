"""``tui-agent tune``: a LoRA of the bundled model on CPU from the memory's corrections and 👍 answers.

Issue 25. :mod:`.data` builds the training examples (the memory's SFT export plus replayed answers
of the base model), :mod:`.model` loads the bundled GGUF into transformers and trains the LoRA,
:mod:`.adapter_gguf` writes it as a llama.cpp LoRA GGUF, :mod:`.evaluate` scores it with llama.cpp
before it is switched on, :mod:`.pipeline` runs the whole tune. The heavy libraries (torch,
transformers, peft, gguf) are imported inside the functions that need them: importing this package
costs nothing. The adapters on disk are managed by :mod:`tui_agent.llm.adapters` (which the chat reads).
"""
