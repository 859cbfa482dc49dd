"""Outside the layers: the local AWS emulator and the demo. Only the commands that start them
import this package, lazily, so production paths never load moto.
"""
