"""python -m pipeline.demo generate [--dest demo]"""
from .generate import main

main()
