"""The Gradio chat app: `python app.py [--host 127.0.0.1] [--port 7860] [--corpus seeds] [--index index]`."""

import sys

from rag.webapp import main

if __name__ == "__main__":
    sys.exit(main())
