"""scikit-learn's estimator checks (parameter checks: test_validation.py)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skimbal import ImbalancedNetClassifier

# Failures that skorch's design forces on every subclass; nothing else may be
# listed here.
EXPECTED_FAILED_CHECKS = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and "
        "virtual_params_ (and _params_to_validate) besides the parameters."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "Dropout draws a mask per row, so a repeated row is trained with other "
        "masks than one weighted row; without dropout and in full batches the "
        "two fits agree (tests/test_sample_weight.py)."
    ),
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [ImbalancedNetClassifier(max_epochs=20, random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
