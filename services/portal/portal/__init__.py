"""The portal: server-rendered pages for customer administrators and their users, over the
other services' HTTP APIs. It keeps no business state: its only table is its sessions."""
