"""How good are the samples? FID, KID, precision/recall and the classifier score, offline.

Each measure is a plain NumPy function of two sets of features (or of
class probabilities) and a streaming `keras.metrics.Metric` built on the
same code, whose `update_state(real, generated)` accumulates batches:

| function | metric | what |
| --- | --- | --- |
| `frechet_distance` | `FrechetDistance` | FID (Heusel et al., 2017) |
| `kernel_distance` | `KernelDistance` | KID, unbiased MMD^2 (Binkowski et al., 2018) |
| `precision_recall` | `PrecisionRecall` | improved precision/recall (Kynkaanniemi et al., 2019) |
| `classifier_score` | `ClassifierScore` | Inception Score with any classifier (Salimans et al., 2016) |

Features come from `feature_extractor(train_feature_extractor(x, y))`, a
small digit classifier trained on data you pass (no download), or from
`InceptionV3Features(weights_path)`. `kgen.callbacks.SampleQuality`
computes the metrics during `fit`.

Example:

```python
from kgen import metrics

classifier = metrics.train_feature_extractor(x_train, y_train, path="digits.keras")
fid = metrics.FrechetDistance(features=metrics.feature_extractor(classifier))
fid.update_state(x_test, model.sample(2000))
fid.result()
```
"""

from kgen.metrics.classifier_score import ClassifierScore
from kgen.metrics.classifier_score import classifier_score
from kgen.metrics.feature_extractors import InceptionV3Features
from kgen.metrics.feature_extractors import digit_classifier
from kgen.metrics.feature_extractors import feature_extractor
from kgen.metrics.feature_extractors import inception_preprocess
from kgen.metrics.feature_extractors import train_feature_extractor
from kgen.metrics.frechet import FrechetDistance
from kgen.metrics.frechet import frechet_distance
from kgen.metrics.frechet import frechet_distance_from_moments
from kgen.metrics.kernel import KernelDistance
from kgen.metrics.kernel import kernel_distance
from kgen.metrics.precision_recall import PrecisionRecall
from kgen.metrics.precision_recall import precision_recall
