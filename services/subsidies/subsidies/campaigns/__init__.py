"""Gift campaigns: vouchers for the events URSSAF lists, within its exemption limit."""
