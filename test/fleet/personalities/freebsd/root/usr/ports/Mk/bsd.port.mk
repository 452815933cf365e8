# Stub of the ports framework for the fleet test harness: no fetch/build; "install" registers
# the port's package (same payload and database as pkg install). BATCH is accepted and ignored
# (there are no OPTIONS dialogs).
PORTSDIR?=	/usr/ports
PKGORIGIN?=	${.CURDIR:H:T}/${.CURDIR:T}

.MAIN: all
all:
	@echo "===>  Building for ${PORTNAME}"
build: all
install:
	@/usr/local/sbin/pkg _port-install ${PKGORIGIN}
reinstall:
	@/usr/local/sbin/pkg delete -yq ${PKGORIGIN} || true
	@/usr/local/sbin/pkg _port-install ${PKGORIGIN}
deinstall:
	@echo "===>  Deinstalling for ${PORTNAME}"
	@/usr/local/sbin/pkg delete -y ${PKGORIGIN}
clean:
	@echo "===>  Cleaning for ${PORTNAME}"
