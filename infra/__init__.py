"""What deploys Balie: the resource template and the steps that build the package."""
