"""Built-in chain templates, as JSON files beside this module (see ``loaders.chains``)."""
