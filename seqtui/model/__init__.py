"""The network: building the Keras model, its losses, its weights as numpy, the allow-list, the backend."""
