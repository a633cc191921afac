"""TensorFlow's errors become one line in their own words (netspec.errors.tf_message)."""

from types import SimpleNamespace

from netspec.errors import tf_message

EAGER = (
    "{{function_node __wrapped__IteratorGetNext_output_types_3_device_/job:localhost/replica:0/"
    "task:0/device:CPU:0}} corrupted record at 21400 [Op:IteratorGetNext] name: "
)
GRAPH = """Graph execution error:

Detected at node IteratorGetNext defined at (most recent call last):
  File "/work/main/netspec/train/session.py", line 230, in _epochs

  File "/keras/src/backend/tensorflow/trainer.py", line 113, in one_step_on_data

corrupted record at 21400
\t [[{{node IteratorGetNext}}]] [Op:__inference_multi_step_on_iterator_1234]"""


def test_an_eager_error_loses_its_function_and_op_names():
    assert tf_message(SimpleNamespace(message=EAGER)) == "corrupted record at 21400"


def test_a_graph_error_is_its_last_unindented_line():
    assert tf_message(SimpleNamespace(message=GRAPH)) == "corrupted record at 21400"


def test_a_plain_message_stays():
    assert tf_message(SimpleNamespace(message="file not found")) == "file not found"
