terraform {
  required_providers {

    genesyscloud = {
      source = "mypurecloud/genesyscloud"
    }
  }
}
