from lti_tool import create_app
from lti_tool.serving import tune_garbage_collector

app = create_app()
tune_garbage_collector()
