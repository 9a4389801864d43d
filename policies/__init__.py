"""Authorization: the Casbin model and policy, and the one place that answers
"may this principal do X to Y" (:func:`policies.enforcer.allowed`) and
"which rows may this principal see" (:func:`policies.scope.scoped`)."""
