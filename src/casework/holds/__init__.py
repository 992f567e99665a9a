"""Legal holds: a hold on a collection or a custodian keeps its documents from every
deletion path until it is released; placing and releasing are audited."""
