"""The oversight app's models, one module per part (Django finds them through this module).

- ``equality.models`` — population and offender/victim baselines, quarterly publications;
- ``audits.models`` — BCU audits; ``breaches.models`` — the breach register;
- ``dpia.models`` — versions of the data protection impact assessment and the DPO's risk register;
- ``guidance.models`` — the versioned guidance library;
- ``annex1.models`` — the Annex 1 monthly progress reports.
"""

from custos.oversight.annex1.models import *  # noqa: F403
from custos.oversight.audits.models import *  # noqa: F403
from custos.oversight.breaches.models import *  # noqa: F403
from custos.oversight.dpia.models import *  # noqa: F403
from custos.oversight.equality.models import *  # noqa: F403
from custos.oversight.guidance.models import *  # noqa: F403
