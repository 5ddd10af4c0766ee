"""Sentence embeddings: the bundled all-MiniLM-L6-v2 encoder (onnxruntime, lazy; :mod:`.encoder`), its one-time
ONNX export (:mod:`.onnx_export`, the only place torch is imported) and the text → vector cache of chat
contexts (:mod:`.cache`). Nothing is imported here, so importing a submodule loads no model.
"""
